package cli

import (
	"strings"
	"testing"
)

// TestLintRefusesWhatCanNeverWork: a schedule that never fires, a zero
// window, a duration past 100 years and a branch loop without a wait are
// reported by lint with the controller's message, at their field.
func TestLintRefusesWhatCanNeverWork(t *testing.T) {
	segment := `apiVersion: retention.dev/v1alpha1
kind: Segment
metadata: {name: never, namespace: shop}
spec:
  dataSourceRef: {name: shop}
  criteria: "true"
  schedule: "0 0 30 2 *"
  window: 0s
---
apiVersion: retention.dev/v1alpha1
kind: Segment
metadata: {name: forever, namespace: shop}
spec:
  dataSourceRef: {name: shop}
  criteria: "true"
  window: 15251w
`
	loop := playbookHead + helloStep + `    - name: again
      branch: {if: "customer.frequency > 1", then: hello}
`
	probs := lintStrings(t, true, map[string]string{"segments.yaml": segment, "loop.yaml": loop})
	want := map[string]string{
		"Segment/never spec.schedule":           "never fires",
		"Segment/never spec.window":             "must be longer than zero",
		"Segment/forever spec.window":           "longer than the longest accepted, 100 years",
		"Playbook/winback spec.steps[1].branch": `leads back to step "hello" with no wait step in between`,
	}
	for key, msg := range want {
		found := false
		for _, p := range probs {
			if p.Object+" "+p.Field == key && strings.Contains(p.Message, msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("no finding %q containing %q in %+v", key, msg, probs)
		}
	}
}
