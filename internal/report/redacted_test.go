package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Every publisher redacts every summary's error: planted Secret values,
// environment dumps and customer emails never reach the report the
// controller copies into status and Events.
func TestPublishersRedactErrors(t *testing.T) {
	const (
		password = "S3cr3t-PLANT-xyz"
		email    = "bob.jones@example.com"
		envValue = "ENV-PLANT-42"
	)
	t.Setenv("RETENTION_STATE_STORE", "not-a-url-"+password)
	leaky := "state store unreachable (postgres://shop:" + password + "@db:5432/x); open not-a-url-" + password +
		"; consent_email: \"" + email + "\"; HOME=/root\x00PLANTED=" + envValue
	summaries := []Summary{
		Segment{Error: leaky}, &Segment{Error: leaky},
		Playbook{Error: leaky}, &Playbook{Error: leaky},
		Loyalty{Error: leaky}, &Loyalty{Error: leaky},
	}
	dir := t.TempDir()
	cs := fake.NewClientset(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "r"}})
	for i, s := range summaries {
		path := filepath.Join(dir, "summary.json")
		if err := File(path).Publish(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		fileOut, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := configMap(cs, "shop", "r", "").Publish(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		cm, err := cs.CoreV1().ConfigMaps("shop").Get(context.Background(), "r", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for where, out := range map[string]string{"file": string(fileOut), "ConfigMap": cm.Data[Key]} {
			for _, planted := range []string{password, email, envValue} {
				if strings.Contains(out, planted) {
					t.Errorf("summary %d (%T) in the %s carries %q: %s", i, s, where, planted, out)
				}
			}
			if !strings.Contains(out, "state store unreachable") {
				t.Errorf("summary %d (%T) in the %s lost the message: %s", i, s, where, out)
			}
		}
	}
	// The caller's summary is not modified.
	if seg := summaries[1].(*Segment); seg.Error != leaky {
		t.Errorf("Publish modified the caller's summary: %q", seg.Error)
	}
}
