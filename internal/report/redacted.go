package report

import "github.com/retention-dev/retention-operator/internal/redact"

// redacted returns summary with its Error passed through redact.Message. The
// publishers call it on every summary, so no worker's error text leaves the
// pod unredacted, whichever worker wrote it and however it was built: the
// report is what the controller copies into status and Events.
func redacted(summary any) any {
	switch s := summary.(type) {
	case Segment:
		s.Error = redact.Message(s.Error)
		return s
	case *Segment:
		c := *s
		c.Error = redact.Message(c.Error)
		return &c
	case Playbook:
		s.Error = redact.Message(s.Error)
		return s
	case *Playbook:
		c := *s
		c.Error = redact.Message(c.Error)
		return &c
	case Loyalty:
		s.Error = redact.Message(s.Error)
		return s
	case *Loyalty:
		c := *s
		c.Error = redact.Message(c.Error)
		return &c
	}
	return summary
}
