package cli

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/segment"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

// previewResult is "what this change would send", in aggregates plus a few
// rendered samples with masked addresses.
type previewResult struct {
	Playbook   string    `json:"playbook"`
	Segment    string    `json:"segment"`
	DataSource string    `json:"dataSource"`
	AsOf       time.Time `json:"asOf"`
	Trigger    string    `json:"trigger"`
	// Scanned customers in the data source.
	Scanned int64 `json:"scanned"`
	// Audience is the segment members who would enter (for an inactivity
	// trigger, those inactive long enough now).
	Audience       int64   `json:"audience"`
	HoldoutPercent float64 `json:"holdoutPercent"`
	Holdout        int64   `json:"holdout"`
	Treatment      int64   `json:"treatment"`
	// Steps has one entry per send step.
	Steps []previewStep `json:"steps"`
	// ConsentSuppressed is treatment customers without consent for at least
	// one of the send steps' channels.
	ConsentSuppressed int64           `json:"consentSuppressed"`
	Samples           []previewSample `json:"samples,omitempty"`
	Notes             []string        `json:"notes,omitempty"`
}

type previewStep struct {
	Step    string `json:"step"`
	Channel string `json:"channel"`
	Kind    string `json:"kind"`
	// WouldSend is treatment customers with consent for this channel;
	// Suppressed those without. Branches, exits and caps can lower it.
	WouldSend  int64 `json:"wouldSend"`
	Suppressed int64 `json:"consentSuppressed"`
}

type previewSample struct {
	CustomerID string `json:"customerId"`
	Step       string `json:"step"`
	Channel    string `json:"channel"`
	To         string `json:"to"`
	Subject    string `json:"subject,omitempty"`
	Body       string `json:"body,omitempty"`
	HTML       string `json:"html,omitempty"`
}

// sendStepKind is a send step and the kind of its channel.
type sendStepKind struct {
	step journey.Step
	kind journey.ChannelKind
}

// runPreview scans the data source once: segment membership (the
// segment's own CEL), holdout assignment (journey.InHoldout, the same hash
// the worker uses), consent per send step, and keeps the first n treatment
// customers by id who would receive at least one message, to render the
// messages they would receive.
func runPreview(ctx context.Context, in *previewInputs, conn datasource.Connector, asOf time.Time, n int, progress func(int64)) (*previewResult, error) {
	pb := in.playbook
	cfg, err := specmap.Playbook(pb.Namespace, pb.Name, &pb.Spec)
	if err != nil {
		return nil, err
	}
	compiled, err := journey.Compile(cfg, in.channels)
	if err != nil {
		return nil, err
	}
	segCfg, err := specmap.Segment(&in.segment.Spec)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", in.segment.Name, err)
	}
	prog, err := segment.Compile(segCfg.Criteria)
	if err != nil {
		return nil, fmt.Errorf("segment %s criteria: %w", in.segment.Name, err)
	}
	window := segCfg.WindowOrDefault()
	res := &previewResult{Playbook: pb.Namespace + "/" + pb.Name, Segment: in.segment.Name, DataSource: in.dataSource.Name,
		AsOf: asOf, HoldoutPercent: cfg.HoldoutPercent, Trigger: triggerName(cfg.Trigger)}
	var sends []sendStepKind
	for _, s := range compiled.Steps {
		if s.Send != nil {
			k := in.channels[s.Send.ChannelRef]
			sends = append(sends, sendStepKind{s, k})
			res.Steps = append(res.Steps, previewStep{Step: s.Name, Channel: s.Send.ChannelRef, Kind: string(k)})
		}
	}
	var firstIDs []*customer.Features // the n smallest treatment ids, sorted
	err = conn.ScanFeatures(ctx, datasource.FeatureQuery{AsOf: asOf, Window: window}, func(f *customer.Features) error {
		res.Scanned++
		if progress != nil && res.Scanned%1000 == 0 {
			progress(res.Scanned)
		}
		ok, err := prog.Matches(f)
		if err != nil {
			return fmt.Errorf("segment %s criteria: %w", in.segment.Name, err)
		}
		if !ok {
			return nil
		}
		if t := cfg.Trigger.Inactivity; t != nil && !journey.InactivityFires(t, f, asOf) {
			return nil
		}
		res.Audience++
		if journey.InHoldout(cfg.Name, f.ID, cfg.HoldoutPercent) {
			res.Holdout++
			return nil
		}
		res.Treatment++
		lacking := false
		for i, s := range sends {
			if journey.HasConsent(s.kind, f) {
				res.Steps[i].WouldSend++
			} else {
				res.Steps[i].Suppressed++
				lacking = true
			}
		}
		if lacking {
			res.ConsentSuppressed++
		}
		receives := !allLacking(sends, f)
		if n > 0 && receives && (len(firstIDs) < n || f.ID < firstIDs[len(firstIDs)-1].ID) {
			c := *f // the connector reuses f: keep a copy
			c.Attributes = maps.Clone(f.Attributes)
			i := sort.Search(len(firstIDs), func(i int) bool { return firstIDs[i].ID > c.ID })
			firstIDs = append(firstIDs[:i], append([]*customer.Features{&c}, firstIDs[i:]...)...)
			if len(firstIDs) > n {
				firstIDs = firstIDs[:n]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, f := range firstIDs {
		masked := maskedFeatures(f)
		for _, s := range sends {
			if !journey.HasConsent(s.kind, f) {
				continue // suppressed: nothing would be sent
			}
			r, err := journey.CompileTemplate(fmt.Sprintf("%q", s.step.Name), s.step.Send.Template)
			if err != nil {
				return nil, err
			}
			subject, body, html, err := r.RenderFor(masked, in.event, journey.MessageLinks{})
			if err != nil && in.event == nil && readsEvent(s.step.Send.Template) {
				return nil, fmt.Errorf("step %s: render: %w; the template reads the triggering event: give its properties with --event '{...}'", s.step.Name, err)
			}
			if err != nil {
				return nil, fmt.Errorf("step %s: render: %w", s.step.Name, err)
			}
			to, err := journey.Recipient(s.kind, f)
			switch {
			case err != nil:
				to = "(no address: " + err.Error() + ")"
			case s.kind == journey.KindEmail || s.kind == journey.KindSMS:
				to = maskAddress(to)
			default:
				to = "customer " + to // webhook and console address the customer id
			}
			res.Samples = append(res.Samples, previewSample{CustomerID: f.ID, Step: s.step.Name, Channel: s.step.Send.ChannelRef,
				To: to, Subject: subject, Body: body, HTML: html})
		}
	}
	if len(in.defaulted) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("channels %s were not given (--channels): previewed as email", strings.Join(in.defaulted, ", ")))
	}
	switch {
	case cfg.Trigger.Event != nil, cfg.Trigger.Anniversary != nil, cfg.Trigger.TierChange != nil:
		res.Notes = append(res.Notes, "the trigger fires per event or date: the audience is every segment member who could enter")
	}
	// Features the workers add from elsewhere are empty offline: say so when
	// the criteria or a template uses them.
	text := in.segment.Spec.Criteria
	for _, s := range in.playbook.Spec.Steps {
		if s.Send != nil {
			text += s.Send.Template.Subject + s.Send.Template.Body
		}
		if s.Branch != nil {
			text += s.Branch.If
		}
	}
	if strings.Contains(text, "loyaltyTier") || strings.Contains(text, "loyaltyPoints") {
		res.Notes = append(res.Notes, "loyaltyTier and loyaltyPoints come from the loyalty ledger: empty in a preview")
	}
	if strings.Contains(text, "churnProbability") || strings.Contains(text, "predictedCLV") {
		res.Notes = append(res.Notes, "churnProbability and predictedCLV come from the metric job's CLV model: 0 in a preview")
	}
	return res, nil
}

// allLacking reports whether f has consent for none of the send steps.
func allLacking(sends []sendStepKind, f *customer.Features) bool {
	for _, s := range sends {
		if journey.HasConsent(s.kind, f) {
			return false
		}
	}
	return true
}

func triggerName(t journey.Trigger) string {
	switch {
	case t.SegmentEntry:
		return "segmentEntry"
	case t.Schedule != "":
		return "schedule " + t.Schedule
	case t.Event != nil:
		return "event " + t.Event.Type
	case t.Inactivity != nil:
		return "inactivity " + t.Inactivity.Duration.String()
	case t.Anniversary != nil:
		return "anniversary of " + string(t.Anniversary.Of)
	case t.TierChange != nil:
		return "tierChange to " + t.TierChange.To
	}
	return "none"
}

// maskedFeatures is a copy whose addresses are masked, so a template that
// prints {{.email}} shows the masked form.
func maskedFeatures(f *customer.Features) *customer.Features {
	c := *f
	c.Email = maskAddress(f.Email)
	c.Attributes = maps.Clone(f.Attributes)
	for _, k := range []string{"phone", "email"} {
		if v, ok := c.Attributes[k]; ok {
			c.Attributes[k] = maskAddress(v)
		}
	}
	return &c
}

// maskAddress keeps the first character of an e-mail's local part and of
// its domain, and the top-level domain: jane.doe@example.com ->
// j*******@e******.com. Anything else (phone numbers) keeps its last two
// characters: +491701234567 -> ***********67.
func maskAddress(s string) string {
	if s == "" {
		return ""
	}
	if local, domain, ok := strings.Cut(s, "@"); ok {
		host, tld := domain, ""
		if i := strings.LastIndexByte(domain, '.'); i > 0 {
			host, tld = domain[:i], domain[i:]
		}
		return keepFirst(local) + "@" + keepFirst(host) + tld
	}
	r := []rune(s)
	if len(r) <= 2 {
		return strings.Repeat("*", len(r))
	}
	return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
}

func keepFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}
