package report

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// Two replicas publish to one report ConfigMap; the one with older figures
// publishes last. data[Key] is then last-writer-wins (the stale figures),
// while MergePlaybook returns the newest: one report per playbook.
func TestMergePlaybookPicksNewestReplicaSection(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewSimpleClientset(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "welcome-report"}})
	t1 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	fresh := Playbook{ReportTime: t1.Add(time.Minute), Enrolled: 65, Sent: 12}
	stale := Playbook{ReportTime: t1, Enrolled: 38, Sent: 7}
	if err := configMap(cs, "shop", "welcome-report", "welcome-campaign-7d9f-a").Publish(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if err := configMap(cs, "shop", "welcome-report", "welcome-campaign-7d9f-b").Publish(ctx, stale); err != nil {
		t.Fatal(err)
	}
	cm, err := cs.CoreV1().ConfigMaps("shop").Get(ctx, "welcome-report", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var last Playbook
	if ok, err := Decode(cm.Data, &last); !ok || err != nil || last.Enrolled != 38 {
		t.Fatalf("data[%s] = %+v (%v); the test expects the last writer's stale figures there", Key, last, err)
	}
	got, ok, err := MergePlaybook(cm.Data)
	if err != nil || !ok {
		t.Fatalf("merge: ok %v err %v", ok, err)
	}
	if got.Enrolled != 65 || got.Sent != 12 || !got.ReportTime.Equal(fresh.ReportTime) {
		t.Fatalf("merged report %+v, want the newest replica's 65 enrolled / 12 sent", got)
	}
	if len(cm.Data) != 3 {
		t.Errorf("ConfigMap keys %v, want %s and one section per replica", keysOf(cm.Data), Key)
	}
}

// Equal report times pick the section with more enrolments, whatever the
// map order; without sections the single summary is used; with nothing
// there is no report; an unreadable section is named.
func TestMergePlaybookEdges(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	enc := func(p Playbook) string {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	data := map[string]string{SectionKey("b"): enc(Playbook{ReportTime: at, Enrolled: 5}),
		SectionKey("a"): enc(Playbook{ReportTime: at, Enrolled: 9}), Key: enc(Playbook{ReportTime: at.Add(time.Hour), Enrolled: 1})}
	if got, ok, err := MergePlaybook(data); err != nil || !ok || got.Enrolled != 9 {
		t.Fatalf("tie: %+v %v %v, want the section with 9 enrolled (sections win over %s)", got, ok, err, Key)
	}
	if got, ok, err := MergePlaybook(map[string]string{Key: enc(Playbook{Enrolled: 4})}); err != nil || !ok || got.Enrolled != 4 {
		t.Fatalf("no sections: %+v %v %v, want data[%s]", got, ok, err, Key)
	}
	if _, ok, err := MergePlaybook(map[string]string{}); ok || err != nil {
		t.Fatalf("empty: ok %v err %v, want no report", ok, err)
	}
	_, _, err := MergePlaybook(map[string]string{SectionKey("x"): "{"})
	if err == nil || !strings.Contains(err.Error(), "summary-x.json") {
		t.Fatalf("bad section: %v, want an error naming summary-x.json", err)
	}
	if k := SectionKey("pod/with:odd chars"); k != "summary-pod-with-odd-chars.json" {
		t.Fatalf("SectionKey = %q", k)
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A replica's publish removes sections of replicas that stopped publishing
// more than StaleSection before it (pods gone after a rollout).
func TestPublishPrunesStaleSections(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewSimpleClientset(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "r"}})
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for replica, when := range map[string]time.Time{"gone": at.Add(-StaleSection - time.Minute), "alive": at.Add(-time.Minute)} {
		if err := configMap(cs, "shop", "r", replica).Publish(ctx, Playbook{ReportTime: when}); err != nil {
			t.Fatal(err)
		}
	}
	if err := configMap(cs, "shop", "r", "new").Publish(ctx, Playbook{ReportTime: at}); err != nil {
		t.Fatal(err)
	}
	cm, err := cs.CoreV1().ConfigMaps("shop").Get(ctx, "r", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, gone := cm.Data[SectionKey("gone")]
	_, alive := cm.Data[SectionKey("alive")]
	_, fresh := cm.Data[SectionKey("new")]
	if gone || !alive || !fresh {
		t.Fatalf("sections %v: want the stale one removed, alive and new kept", keysOf(cm.Data))
	}
}
