package report

import "github.com/retention-dev/retention-operator/internal/redact"

// Summary is a report a worker publishes: a Segment, Playbook or Loyalty
// (or a pointer to one). Its method is this package's own, so no other type
// can be published, and each one's error text is redacted on the way out.
type Summary interface{ withRedactedError() any }

func (s Segment) withRedactedError() any  { s.Error = redact.Message(s.Error); return s }
func (s Playbook) withRedactedError() any { s.Error = redact.Message(s.Error); return s }
func (s Loyalty) withRedactedError() any  { s.Error = redact.Message(s.Error); return s }

// redacted returns summary (a copy) with its Error passed through
// redact.Message. The publishers call it on every summary, so no worker's
// error text leaves the pod unredacted, whichever worker wrote it and however
// it was built: the report is what the controller copies into status and
// Events. A pointer is served by the value's method, so it is copied too.
func redacted(summary Summary) any { return summary.withRedactedError() }
