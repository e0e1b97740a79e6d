package metrics

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/store"
)

// TestShardRetriesDoNotDoubleCount runs the pods of a 3-shard run one after
// the other, as a Job with failures would: shard 0 twice (a pod retried
// after it had stored its part), then 1, then 2 (the last: it publishes),
// then 2 again (a retried last pod), then a late pod of another run id.
// The report equals one pod's, the retried shard's members count once, and
// the retried last pod publishes the same report without diffing the
// snapshot a second time.
func TestShardRetriesDoNotDoubleCount(t *testing.T) {
	src := shardSources(t, randomShop(8))["sqlite"]
	spec := shardSpecs["pushdown"]
	o := Options{Namespace: "shop", Name: "buyers", Segment: segmentConfig(t, spec), Source: src.cfg, Clock: func() time.Time { return asOf }}
	o.DB = src.newState(t)
	want, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	o.DB = src.newState(t)
	o.Segment.Shards = 3
	ctx := context.Background()
	shard := func(i int, clock time.Time) (bool, error) {
		o := o
		o.Clock = func() time.Time { return clock }
		sum, publish, err := RunShard(ctx, o, Shard{RunID: "job-uid-1", Index: i})
		if publish && err == nil && !reflect.DeepEqual(sum, want) {
			t.Errorf("shard %d published %+v\nwant %+v", i, sum, want)
		}
		return publish, err
	}
	// Later pods start later: the run's AsOf stays the first pod's.
	for k, step := range []struct {
		index   int
		publish bool
	}{{0, false}, {0, false}, {1, false}, {2, true}, {2, true}} {
		publish, err := shard(step.index, asOf.Add(time.Duration(k)*time.Minute))
		if err != nil {
			t.Fatalf("step %d (shard %d): %v", k, step.index, err)
		}
		if publish != step.publish {
			t.Fatalf("step %d (shard %d): publish %v, want %v", k, step.index, publish, step.publish)
		}
	}
	last, ok, err := o.DB.LastSegmentRun(ctx, store.SegmentRef{Namespace: "shop", Name: "buyers"})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if last.Size != want.Size || last.Entered != want.Entered || last.Exited != 0 {
		t.Errorf("stored run size %d entered %d exited %d, want %d %d 0 (the retried last pod must not diff again)",
			last.Size, last.Entered, last.Exited, want.Size, want.Entered)
	}
	// Publishing the same run again is refused inside the snapshot's
	// transaction, whatever the caller checked before.
	run := store.ShardRun{Segment: store.SegmentRef{Namespace: "shop", Name: "buyers"}, ID: "job-uid-1", Shards: 3}
	_, _, err = o.DB.PublishShardSnapshot(ctx, run, func(add func(f *customer.Features) error) error { return nil })
	if !errors.Is(err, store.ErrShardRunPublished) {
		t.Errorf("second publish of the run: %v, want ErrShardRunPublished", err)
	}
	// A pod of the same run with another spec is refused.
	o.Segment.Criteria = "customer.frequency >= 5"
	if _, err := shard(1, asOf); err == nil {
		t.Error("a pod whose spec differs from its run's was accepted")
	}
}
