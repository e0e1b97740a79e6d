package controller

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A mirrored counter exports the last total set per series, as a counter,
// and forgets a deleted object's series only.
func TestMirroredCounter(t *testing.T) {
	c := newMirroredCounter("sent_total", "Messages sent.", "namespace", "playbook")
	c.Set(3, "shop", "winback")
	c.Set(1700, "shop", "winback")
	c.Set(5, "shop", "welcome")
	if got := testutil.CollectAndCount(c); got != 2 {
		t.Fatalf("%d series, want 2", got)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range families[0].GetMetric() {
		if m.GetLabel()[1].GetValue() == "winback" && m.GetCounter().GetValue() != 1700 {
			t.Errorf("winback = %v, want the last total set, 1700", m.GetCounter().GetValue())
		}
	}
	if n := c.DeletePartialMatch(prometheus.Labels{"namespace": "shop", "playbook": "winback"}); n != 1 {
		t.Errorf("deleted %d series, want 1", n)
	}
	if got := testutil.CollectAndCount(c); got != 1 {
		t.Errorf("%d series left, want welcome's", got)
	}
}
