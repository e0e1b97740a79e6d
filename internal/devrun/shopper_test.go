package devrun

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestShopperAppendsOrdersDatedNow(t *testing.T) {
	data := map[string]string{
		"customers.csv": "id,email\nc1,a@x\nc2,b@x\n",
		"orders.csv":    "customer_id,order_id,amount,occurred_at\nc1,c1-0,10.00,2026-01-01T00:00:00Z\n",
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: demoNamespace, Name: demoConfigMap}, Data: data}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(cm).Build()
	s := newShopper(c, data, 7)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if err := s.addOrders(context.Background(), now); err != nil {
			t.Fatal(err)
		}
	}
	var got corev1.ConfigMap
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(cm), &got); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(got.Data["orders.csv"]), "\n")
	if len(lines) != 2+3 {
		t.Fatalf("orders.csv has %d lines, want header + 1 + 3 new:\n%s", len(lines), got.Data["orders.csv"])
	}
	for _, l := range lines[2:] {
		f := strings.Split(l, ",")
		if len(f) != 4 || (f[0] != "c1" && f[0] != "c2") || !strings.HasPrefix(f[1], "live-") || f[3] != "2026-11-30T12:00:00Z" {
			t.Errorf("new order %q: want a known customer, a live-N id, an amount and now", l)
		}
	}
}
