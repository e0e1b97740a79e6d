package cli

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
)

// clvFitResult is what `retentionctl clv fit` prints: the fitted BG/NBD and
// Gamma-Gamma parameters (aggregates only, no customer rows).
type clvFitResult struct {
	Transactions   int           `json:"transactions"`
	Customers      int           `json:"customers"`
	CalibrationEnd string        `json:"calibrationEnd"`
	Unit           string        `json:"unit"`
	BGNBD          bgnbdResult   `json:"bgnbd"`
	GammaGamma     gammaGammaFit `json:"gammaGamma"`
}

type bgnbdResult struct {
	R             float64 `json:"r"`
	Alpha         float64 `json:"alpha"`
	A             float64 `json:"a"`
	B             float64 `json:"b"`
	LogLikelihood float64 `json:"logLikelihood"`
	Status        string  `json:"status"`
}

type gammaGammaFit struct {
	P             float64 `json:"p"`
	Q             float64 `json:"q"`
	V             float64 `json:"v"`
	LogLikelihood float64 `json:"logLikelihood"`
	// Customers with repeat purchases, the only ones the model uses.
	Customers int    `json:"customers"`
	Status    string `json:"status"`
}

// newCLVCommand is `retentionctl clv`.
func newCLVCommand() *cobra.Command {
	return commandGroup("clv", "Customer lifetime value models", newCLVFitCommand())
}

func newCLVFitCommand() *cobra.Command {
	var file, format, calibrationEnd string
	cmd := &cobra.Command{
		Use:   "fit --transactions FILE [--format cdnow|csv] [--calibration-end YYYY-MM-DD]",
		Short: "Fit BG/NBD and Gamma-Gamma to a transaction log and print the parameters",
		Long: `Fit the BG/NBD purchase model and the Gamma-Gamma spend model (weekly
periods, as in Fader, Hardie & Lee 2005) to a transaction log and print the
parameters and log-likelihoods. Orders after the calibration end day are ignored.

  retentionctl clv fit --transactions CDNOW_sample.txt --format cdnow --calibration-end 1997-09-30`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var end time.Time // zero: the log's last day
			if calibrationEnd != "" {
				var err error
				if end, err = time.Parse("2006-01-02", calibrationEnd); err != nil {
					return fmt.Errorf("--calibration-end %q: use a date such as 1997-09-30", calibrationEnd)
				}
			}
			res, err := fitCLV(file, format, end, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return printResult(cmd, res, printCLVTable)
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "transactions", "", "transaction log file (required)")
	f.StringVar(&format, "format", clv.FormatCDNOW, "log format: cdnow (whitespace-separated id date count amount) or csv (header with customer_id, date, amount)")
	f.StringVar(&calibrationEnd, "calibration-end", "", "last day of the calibration period (default: the last day in the log)")
	_ = cmd.MarkFlagRequired("transactions")
	return cmd
}

// week is the period of the fits, as in the published CDNOW analyses.
const week = 7 * 24 * time.Hour

// fitCLV streams the log into per-customer summaries (memory per customer
// and purchase day, not per order) and fits both models.
func fitCLV(path, format string, end time.Time, progressTo io.Writer) (clvFitResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return clvFitResult{}, fmt.Errorf("--transactions: %w", err)
	}
	defer f.Close()
	tr, err := clv.NewTransactionReader(f, format)
	if err != nil {
		return clvFitResult{}, fmt.Errorf("--format: %w", err)
	}
	bar := newProgress(progressTo, "reading transactions", 0)
	// Without --calibration-end the log's last day is the end: keep the
	// orders until then (a summary needs the end before it starts).
	var pending []customer.Order
	var b *clv.SummaryBuilder
	if !end.IsZero() {
		if b, err = clv.NewSummaryBuilder(end, week); err != nil {
			bar.Done()
			return clvFitResult{}, err
		}
	}
	n := 0
	err = tr.ForEach(func(o customer.Order) error {
		n++
		bar.Set(n)
		if b != nil {
			b.Add(o)
		} else {
			pending = append(pending, o)
		}
		return nil
	})
	bar.Done()
	if err != nil {
		return clvFitResult{}, fmt.Errorf("%s: %w", path, err)
	}
	if n == 0 {
		return clvFitResult{}, fmt.Errorf("%s: no transactions", path)
	}
	if b == nil {
		for _, o := range pending {
			if o.OccurredAt.After(end) {
				end = o.OccurredAt
			}
		}
		if b, err = clv.NewSummaryBuilder(end, week); err != nil {
			return clvFitResult{}, err
		}
		for _, o := range pending {
			b.Add(o)
		}
	}
	rows := b.Rows()
	fitBar := newProgress(progressTo, "fitting", 0)
	defer fitBar.Done()
	bg, bgStats, err := clv.FitBGNBD(rows)
	if err != nil {
		return clvFitResult{}, fmt.Errorf("BG/NBD fit over %d customers: %w", len(rows), err)
	}
	gg, ggStats, used, err := clv.FitGammaGamma(rows)
	if err != nil {
		return clvFitResult{}, fmt.Errorf("Gamma-Gamma fit over %d customers: %w", len(rows), err)
	}
	return clvFitResult{
		Transactions: n, Customers: len(rows), CalibrationEnd: end.Format("2006-01-02"), Unit: "week",
		BGNBD: bgnbdResult{R: bg.R, Alpha: bg.Alpha, A: bg.A, B: bg.B, LogLikelihood: bgStats.LogLikelihood, Status: bgStats.Status},
		GammaGamma: gammaGammaFit{P: gg.P, Q: gg.Q, V: gg.V, LogLikelihood: ggStats.LogLikelihood, Customers: used,
			Status: ggStats.Status},
	}, nil
}

// printCLVTable prints parameters to three significant digits (the
// precision of the published estimates) and log-likelihoods to units.
func printCLVTable(w io.Writer, r clvFitResult) error {
	fmt.Fprintf(w, "%d transactions, %d customers, calibration end %s, periods of one %s\n\n",
		r.Transactions, r.Customers, r.CalibrationEnd, r.Unit)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tPARAMETER\tVALUE")
	for _, row := range []struct {
		model, name string
		v           float64
	}{
		{"BG/NBD", "r", r.BGNBD.R}, {"BG/NBD", "alpha", r.BGNBD.Alpha}, {"BG/NBD", "a", r.BGNBD.A}, {"BG/NBD", "b", r.BGNBD.B},
	} {
		fmt.Fprintf(tw, "%s\t%s\t%.3g\n", row.model, row.name, row.v)
	}
	fmt.Fprintf(tw, "BG/NBD\tlog-likelihood\t%.0f\n", r.BGNBD.LogLikelihood)
	fmt.Fprintf(tw, "Gamma-Gamma\tp\t%.3g\n", r.GammaGamma.P)
	fmt.Fprintf(tw, "Gamma-Gamma\tq\t%.3g\n", r.GammaGamma.Q)
	fmt.Fprintf(tw, "Gamma-Gamma\tv\t%.3g\n", r.GammaGamma.V)
	fmt.Fprintf(tw, "Gamma-Gamma\tlog-likelihood\t%.0f\n", r.GammaGamma.LogLikelihood)
	fmt.Fprintf(tw, "Gamma-Gamma\tcustomers used\t%d\n", r.GammaGamma.Customers)
	return tw.Flush()
}
