package devrun

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// liveOrdersEvery is how often the local run's shop takes new orders.
const liveOrdersEvery = 20 * time.Second

// shopper keeps the local run's shop alive: every liveOrdersEvery it appends a
// few orders, dated now, from randomly chosen customers to the demo data
// ConfigMap, as a real shop's orders table grows while campaigns run. Without
// it the history ends when the run starts, no one can buy after a message,
// and every Playbook's goal (order_placed) would show no conversions and no
// lift. The ConfigMap reaches the workers as a mounted volume does.
type shopper struct {
	c         client.Client
	customers []string
	rng       *rand.Rand
	perTick   int
	seq       int
}

func newShopper(c client.Client, data map[string]string, seed uint64) *shopper {
	var ids []string
	for i, line := range strings.Split(data["customers.csv"], "\n") {
		if id, _, ok := strings.Cut(line, ","); ok && i > 0 && id != "" {
			ids = append(ids, id)
		}
	}
	return &shopper{c: c, customers: ids, rng: rand.New(rand.NewPCG(seed, 20261130)), perTick: max(1, len(ids)/50)}
}

// run adds orders until ctx ends; a failed update is retried next tick.
func (s *shopper) run(ctx context.Context) {
	if len(s.customers) == 0 {
		return
	}
	tick := time.NewTicker(liveOrdersEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			_ = s.addOrders(ctx, now.UTC().Truncate(time.Second))
		}
	}
}

// addOrders appends perTick orders dated now to orders.csv.
func (s *shopper) addOrders(ctx context.Context, now time.Time) error {
	var cm corev1.ConfigMap
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: demoNamespace, Name: demoConfigMap}, &cm); err != nil {
		return err
	}
	orders := cm.Data["orders.csv"]
	if orders == "" {
		return fmt.Errorf("demo data has no orders.csv")
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(orders, "\n"))
	for i := 0; i < s.perTick; i++ {
		s.seq++
		id := s.customers[s.rng.IntN(len(s.customers))]
		fmt.Fprintf(&b, "\n%s,live-%d,%.2f,%s", id, s.seq, 10+s.rng.Float64()*110, now.Format(time.RFC3339))
	}
	b.WriteString("\n")
	cm.Data["orders.csv"] = b.String()
	return s.c.Update(ctx, &cm)
}
