package specmap

import (
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// EngineErrorAnnotation holds, on each object of testdata/engine-invalid.yaml,
// the message the engine's validation gives it. The controller's envtest
// expects it in Ready=False and lint's test in its finding; this test keeps
// it the mapping's own error.
const engineErrorAnnotation = "test.retention.dev/engine-error"

// One object of each kind that the CRD schema accepts and the engine
// refuses: its mapping fails with exactly the recorded message.
func TestEngineInvalidFixtureIsTheMappingsMessage(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range docsOf(t, "testdata/engine-invalid.yaml") {
		var err error
		var meta v1alpha1.Segment // any kind: only metadata is read here
		switch d.kind {
		case "DataSource":
			var ds v1alpha1.DataSource
			decodeInto(t, d, &ds)
			meta.ObjectMeta = ds.ObjectMeta
			_, err = DataSource(ds.Namespace, ds.Name, &ds.Spec)
		case "Channel":
			var ch v1alpha1.Channel
			decodeInto(t, d, &ch)
			meta.ObjectMeta = ch.ObjectMeta
			_, err = Channel(&ch.Spec)
		case "Segment":
			var seg v1alpha1.Segment
			decodeInto(t, d, &seg)
			meta.ObjectMeta = seg.ObjectMeta
			_, err = Segment(&seg.Spec)
		case "LoyaltyProgram":
			var lp v1alpha1.LoyaltyProgram
			decodeInto(t, d, &lp)
			meta.ObjectMeta = lp.ObjectMeta
			_, err = Loyalty(&lp.Spec)
		case "Playbook":
			var pb v1alpha1.Playbook
			decodeInto(t, d, &pb)
			meta.ObjectMeta = pb.ObjectMeta
			_, err = Playbook(pb.Namespace, pb.Name, &pb.Spec)
		}
		want := meta.Annotations[engineErrorAnnotation]
		if want == "" {
			t.Errorf("%s %s has no %s annotation", d.kind, meta.Name, engineErrorAnnotation)
		}
		if err == nil || err.Error() != want {
			t.Errorf("%s %s: mapping error\n  %v\nwant the recorded\n  %s", d.kind, meta.Name, err, want)
		}
		seen[d.kind] = true
	}
	if len(seen) != 5 {
		t.Errorf("the fixture holds kinds %v, want all five", seen)
	}
}
