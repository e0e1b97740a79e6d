package clv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Transaction log formats accepted by NewTransactionReader.
const (
	// FormatCDNOW is the whitespace-separated CDNOW layout. Both the master
	// file (header "customer_id date number_of_cds dollar_value", 4 columns)
	// and the 1/10 sample (no header, 5 columns: master id, sample id, date,
	// CDs, dollars) are accepted; the master id is used as the customer id in
	// both so that the two files name customers the same way.
	FormatCDNOW = "cdnow"
	// FormatCSV is a comma-separated file with a header naming at least the
	// columns customer_id, date and amount (in any order; extra columns are
	// ignored). Dates are YYYY-MM-DD or RFC 3339.
	FormatCSV = "csv"
)

// maxLineBytes bounds one input line so that a corrupt file without newlines
// cannot make the reader buffer the whole stream.
const maxLineBytes = 1 << 20

// TransactionReader streams orders from a transaction log one at a time, so
// that callers can aggregate logs larger than memory.
type TransactionReader struct {
	format  string
	scanner *bufio.Scanner
	line    int
	// cdnowColumns is 4 (master) or 5 (sample); 0 until the first data line.
	cdnowColumns int
	// csv column positions, resolved from the header.
	csvID, csvDate, csvAmount, csvColumns int
	headerDone                            bool
}

// NewTransactionReader returns a streaming reader for format (FormatCDNOW or
// FormatCSV).
func NewTransactionReader(r io.Reader, format string) (*TransactionReader, error) {
	switch format {
	case FormatCDNOW, FormatCSV:
	default:
		return nil, fmt.Errorf("unknown transaction format %q: use %q or %q", format, FormatCDNOW, FormatCSV)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLineBytes)
	return &TransactionReader{format: format, scanner: sc}, nil
}

// Next returns the next order, or io.EOF after the last one. Errors name the
// 1-based line number and the problem.
func (tr *TransactionReader) Next() (customer.Order, error) {
	for tr.scanner.Scan() {
		tr.line++
		text := strings.TrimSpace(tr.scanner.Text())
		if text == "" {
			continue
		}
		var (
			o   customer.Order
			ok  bool
			err error
		)
		if tr.format == FormatCDNOW {
			o, ok, err = tr.parseCDNOW(text)
		} else {
			o, ok, err = tr.parseCSV(text)
		}
		if err != nil {
			return customer.Order{}, fmt.Errorf("line %d: %w", tr.line, err)
		}
		if ok {
			o.OrderID = strconv.Itoa(tr.line)
			return o, nil
		}
	}
	if err := tr.scanner.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return customer.Order{}, fmt.Errorf("line %d: longer than %d bytes", tr.line+1, maxLineBytes)
		}
		return customer.Order{}, fmt.Errorf("line %d: %w", tr.line+1, err)
	}
	return customer.Order{}, io.EOF
}

// ForEach calls fn with each remaining order, in file order, holding one
// order at a time; it stops at the first read error or error of fn and
// returns it.
func (tr *TransactionReader) ForEach(fn func(customer.Order) error) error {
	for {
		o, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
}

// parseCDNOW parses one non-empty CDNOW line; ok is false for the header.
func (tr *TransactionReader) parseCDNOW(text string) (customer.Order, bool, error) {
	fields := strings.Fields(text)
	if !tr.headerDone {
		tr.headerDone = true
		if fields[0] == "customer_id" {
			return customer.Order{}, false, nil
		}
	}
	if tr.cdnowColumns == 0 {
		if len(fields) != 4 && len(fields) != 5 {
			return customer.Order{}, false, fmt.Errorf("has %d columns, want 4 (master: id date cds dollars) or 5 (sample: id sample_id date cds dollars)", len(fields))
		}
		tr.cdnowColumns = len(fields)
	}
	if len(fields) != tr.cdnowColumns {
		return customer.Order{}, false, fmt.Errorf("has %d columns, want %d like the first line", len(fields), tr.cdnowColumns)
	}
	off := tr.cdnowColumns - 4 // the sample has an extra sample-id column
	day, err := time.Parse("20060102", fields[1+off])
	if err != nil {
		return customer.Order{}, false, fmt.Errorf("date %q is not YYYYMMDD", fields[1+off])
	}
	if _, err := strconv.ParseUint(fields[2+off], 10, 32); err != nil {
		return customer.Order{}, false, fmt.Errorf("number of CDs %q is not a non-negative integer", fields[2+off])
	}
	amount, err := parseAmount(fields[3+off])
	if err != nil {
		return customer.Order{}, false, err
	}
	return customer.Order{CustomerID: fields[0], Amount: amount, OccurredAt: day}, true, nil
}

// parseCSV parses one non-empty CSV line; ok is false for the header. Fields
// may be double-quoted (with "" for a quote) as spreadsheet exports write
// them, but a record must fit on one line so that errors can name it.
func (tr *TransactionReader) parseCSV(text string) (customer.Order, bool, error) {
	if !tr.headerDone {
		text = strings.TrimPrefix(text, "\ufeff") // byte-order mark of UTF-8 exports
	}
	fields, err := splitCSVLine(text)
	if err != nil {
		return customer.Order{}, false, err
	}
	if !tr.headerDone {
		tr.headerDone = true
		tr.csvID, tr.csvDate, tr.csvAmount = -1, -1, -1
		for i, name := range fields {
			switch strings.ToLower(name) {
			case "customer_id":
				tr.csvID = i
			case "date":
				tr.csvDate = i
			case "amount":
				tr.csvAmount = i
			}
		}
		var missing []string
		for _, c := range []struct {
			name string
			pos  int
		}{{"customer_id", tr.csvID}, {"date", tr.csvDate}, {"amount", tr.csvAmount}} {
			if c.pos < 0 {
				missing = append(missing, c.name)
			}
		}
		if len(missing) > 0 {
			return customer.Order{}, false, fmt.Errorf("header %q lacks column(s) %s: the first line must name customer_id,date,amount", text, strings.Join(missing, ","))
		}
		tr.csvColumns = len(fields)
		return customer.Order{}, false, nil
	}
	if len(fields) != tr.csvColumns {
		return customer.Order{}, false, fmt.Errorf("has %d columns, the header has %d", len(fields), tr.csvColumns)
	}
	id := fields[tr.csvID]
	if id == "" {
		return customer.Order{}, false, errors.New("customer_id is empty")
	}
	at, err := parseDate(fields[tr.csvDate])
	if err != nil {
		return customer.Order{}, false, err
	}
	amount, err := parseAmount(fields[tr.csvAmount])
	if err != nil {
		return customer.Order{}, false, err
	}
	return customer.Order{CustomerID: id, Amount: amount, OccurredAt: at}, true, nil
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("date %q is neither YYYY-MM-DD nor RFC 3339", s)
}

func parseAmount(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("amount %q is not a finite number", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("amount %q is negative", s)
	}
	return v, nil
}

// splitCSVLine splits one CSV record on commas, unquoting double-quoted
// fields and trimming surrounding spaces.
func splitCSVLine(line string) ([]string, error) {
	var fields []string
	for {
		line = strings.TrimLeft(line, " \t")
		var field string
		if strings.HasPrefix(line, `"`) {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(line[i:], '"')
				if j < 0 {
					return nil, fmt.Errorf("field %d has an unterminated quote", len(fields)+1)
				}
				b.WriteString(line[i : i+j])
				i += j + 1
				if i < len(line) && line[i] == '"' { // "" is an escaped quote
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			field = b.String()
			rest := strings.TrimLeft(line[i:], " \t")
			if rest != "" && rest[0] != ',' {
				return nil, fmt.Errorf("field %d has text after its closing quote", len(fields)+1)
			}
			line = rest
		} else {
			end := strings.IndexByte(line, ',')
			if end < 0 {
				end = len(line)
			}
			field = strings.TrimSpace(line[:end])
			line = line[end:]
		}
		fields = append(fields, field)
		if line == "" {
			return fields, nil
		}
		line = line[1:] // the comma
	}
}
