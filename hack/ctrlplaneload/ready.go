package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/operator"
)

// readyWatch keeps the namespace's custom resources in an informer cache,
// so counting Ready objects costs the API server nothing.
type readyWatch struct {
	cache.Cache
}

func watchReady(ctx context.Context, cfg *rest.Config, namespace string) (*readyWatch, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: operator.Scheme(), DefaultNamespaces: map[string]cache.Config{namespace: {}}})
	if err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	for _, o := range []client.Object{&v1alpha1.Segment{}, &v1alpha1.Playbook{}, &v1alpha1.DataSource{}, &v1alpha1.Channel{}} {
		if _, err := c.GetInformer(ctx, o); err != nil {
			return nil, err
		}
	}
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("informer cache did not sync")
	}
	return &readyWatch{c}, nil
}

// count returns how many of each list's items are Ready, and the total.
func (w *readyWatch) count(ctx context.Context, lists ...client.ObjectList) (ready, total int, err error) {
	for _, l := range lists {
		if err := w.List(ctx, l); err != nil {
			return 0, 0, err
		}
		items, err := itemsOf(l)
		if err != nil {
			return 0, 0, err
		}
		for _, o := range items {
			total++
			if conditions.IsTrue(o, v1alpha1.ConditionReady) {
				ready++
			}
		}
	}
	return ready, total, nil
}

func itemsOf(l client.ObjectList) ([]conditions.Object, error) {
	items, err := meta.ExtractList(l)
	if err != nil {
		return nil, err
	}
	out := make([]conditions.Object, 0, len(items))
	for _, item := range items {
		o, ok := item.(conditions.Object)
		if !ok {
			return nil, fmt.Errorf("%T in %T has no conditions", item, l)
		}
		out = append(out, o)
	}
	return out, nil
}

// waitPrerequisites waits for the DataSource and the Channel to be Ready.
func waitPrerequisites(ctx context.Context, w *readyWatch, mgr *managerProcess) error {
	start := time.Now()
	for {
		ready, _, err := w.count(ctx, &v1alpha1.DataSourceList{}, &v1alpha1.ChannelList{})
		if err != nil {
			return err
		}
		if ready == 2 {
			fmt.Printf("== DataSource and Channel Ready after %.1f s\n", time.Since(start).Seconds())
			return nil
		}
		if err := pause(ctx, mgr, start, 2*time.Minute); err != nil {
			return fmt.Errorf("DataSource and Channel: %w", err)
		}
	}
}

// waitAllReady polls the cache every 100 ms until want objects are Ready,
// printing progress every 5 s.
func waitAllReady(ctx context.Context, w *readyWatch, mgr *managerProcess, want int, start time.Time, timeout time.Duration) error {
	lastPrint := time.Now()
	for {
		ready, total, err := w.count(ctx, &v1alpha1.SegmentList{}, &v1alpha1.PlaybookList{})
		if err != nil {
			return err
		}
		if ready == want {
			return nil
		}
		if time.Since(lastPrint) >= 5*time.Second {
			lastPrint = time.Now()
			fmt.Printf("   %5.1f s: %d/%d Ready (%d seen)\n", time.Since(start).Seconds(), ready, want, total)
		}
		if err := pause(ctx, mgr, start, timeout); err != nil {
			return fmt.Errorf("%d/%d Ready: %w", ready, want, err)
		}
	}
}

func pause(ctx context.Context, mgr *managerProcess, start time.Time, timeout time.Duration) error {
	if err := mgr.failed(); err != nil {
		return err
	}
	if time.Since(start) > timeout {
		return fmt.Errorf("not Ready after %s; manager log tail:\n%s", timeout, tail(mgr.logPath, 20))
	}
	select {
	case <-time.After(100 * time.Millisecond):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
