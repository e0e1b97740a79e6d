package devrun

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// applySamples creates config/samples with the generated demo data in place
// of the committed ConfigMap, or the committed one when generation failed.
func TestApplySamples(t *testing.T) {
	dir := filepath.Join(testOpts.RepoDir, "config", "samples")
	key := client.ObjectKey{Namespace: demoNamespace, Name: demoConfigMap}
	// Start without the demo data, as a fresh local run does (and as a
	// repeated test run otherwise would not).
	stale := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: demoConfigMap, Namespace: demoNamespace}}
	must(t, client.IgnoreNotFound(testC.Delete(ctx, stale)))

	n, err := applySamples(ctx, testC, dir, nil)
	must(t, err)
	var cm corev1.ConfigMap
	must(t, testC.Get(ctx, key, &cm))
	if !strings.HasPrefix(cm.Data["customers.csv"], "id,email,timezone,created_at,attributes,consent_email,consent_sms\n") {
		t.Fatalf("committed customers.csv not applied: %.80q", cm.Data["customers.csv"])
	}
	objs, err := readSamples(dir)
	must(t, err)
	if n != len(objs) {
		t.Fatalf("applied %d objects, the samples have %d", n, len(objs))
	}
	// Counted from the files, so adding a sample Playbook needs no edit here.
	want := 0
	for _, o := range objs {
		if o.GetKind() == "Playbook" {
			want++
		}
	}
	var playbooks v1alpha1.PlaybookList
	must(t, testC.List(ctx, &playbooks, client.InNamespace(demoNamespace)))
	if want < 8 || len(playbooks.Items) != want {
		t.Fatalf("%d Playbooks, want the %d samples (at least the 8 of 50-playbooks.yaml)", len(playbooks.Items), want)
	}

	must(t, testC.Delete(ctx, &cm))
	generated := map[string]string{"customers.csv": "id\nc1\n", "orders.csv": "o\n", "feedback.csv": "f\n"}
	n2, err := applySamples(ctx, testC, dir, generated)
	must(t, err)
	if n2 != n {
		t.Fatalf("applied %d objects with generated data, %d with the committed", n2, n)
	}
	must(t, testC.Get(ctx, key, &cm))
	if cm.Data["customers.csv"] != "id\nc1\n" || len(cm.Data) != 3 {
		t.Fatalf("generated data not applied: %v", cm.Data)
	}
}
