package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/metrics"
)

var _ = Describe("Sharded Segment metric job", func() {
	It("runs one pod for spec.shards 1 and an Indexed Job of N pods for N, whose merged report becomes status", func() {
		ns := fixtureNamespace()
		single := create(newSegment(ns, "single", "customer.frequency >= 1"))
		seg := newSegment(ns, "sharded", "customer.frequency >= 1")
		seg.Spec.Shards = 4
		seg.Spec.Metrics = append(seg.Spec.Metrics, "averageOrderValue", "historicalCLV", "repeatPurchaseRate")
		Expect(k8s.Create(ctx, seg)).To(Succeed())
		eventuallyReady(seg, metav1.ConditionFalse, "FirstRun")

		// The API server defaults spec.shards to 1.
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(single), single)).To(Succeed())
		Expect(single.Spec.Shards).To(Equal(int32(1)))
		cj := &batchv1.CronJob{}
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "single-metrics"}, cj)
		}, timeout, interval).Should(Succeed())
		one := cj.Spec.JobTemplate.Spec
		Expect(one.CompletionMode).To(BeNil(), "one shard keeps the plain Job")
		Expect(one.Completions).To(BeNil())
		Expect(one.Parallelism).To(BeNil())
		Expect(*one.BackoffLimit).To(Equal(int32(2)))
		Expect(envNames(one.Template.Spec.Containers[0].Env)).NotTo(ContainElement(contract.EnvShardRun))

		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "sharded-metrics"}, cj)).To(Succeed())
		var jobs batchv1.JobList
		Expect(k8s.List(ctx, &jobs, client.InNamespace(ns))).To(Succeed())
		var first *batchv1.Job
		for i := range jobs.Items {
			if strings.HasPrefix(jobs.Items[i].Name, "sharded-metrics-") {
				first = &jobs.Items[i]
			}
		}
		Expect(first).NotTo(BeNil(), "the first run starts at once, sharded too")
		for name, spec := range map[string]batchv1.JobSpec{"cronjob": cj.Spec.JobTemplate.Spec, "first run": first.Spec} {
			By("the " + name + "'s Job shape")
			Expect(*spec.CompletionMode).To(Equal(batchv1.IndexedCompletion))
			Expect(*spec.Completions).To(Equal(int32(4)))
			Expect(*spec.Parallelism).To(Equal(int32(4)))
			Expect(*spec.BackoffLimit).To(Equal(int32(8)))
			c := spec.Template.Spec.Containers[0]
			Expect(c.Args).To(Equal([]string{"metrics", "--spec=/etc/retention/spec.json"}))
			var run *corev1.EnvVar
			for i := range c.Env {
				if c.Env[i].Name == contract.EnvShardRun {
					run = &c.Env[i]
				}
			}
			Expect(run).NotTo(BeNil())
			Expect(run.ValueFrom.FieldRef.FieldPath).To(Equal("metadata.labels['batch.kubernetes.io/controller-uid']"))
		}

		By("running the four pods of the first run on the spec the controller rendered")
		cm := &corev1.ConfigMap{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "sharded-metrics"}, cm)).To(Succeed())
		var spec contract.Segment
		Expect(json.Unmarshal([]byte(cm.Data["spec.json"]), &spec)).To(Succeed())
		Expect(spec.Config.Shards).To(Equal(4))
		source, state := shardedShop()
		asOf := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
		opts := metrics.Options{Namespace: spec.Namespace, Name: spec.Name, Segment: spec.Config, Source: source, DB: state,
			Clock: func() time.Time { return asOf }}
		var mu sync.Mutex
		var published []report.Segment
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				defer GinkgoRecover()
				sum, publish, err := metrics.RunShard(context.Background(), opts, metrics.Shard{RunID: string(first.UID), Index: i})
				Expect(err).NotTo(HaveOccurred())
				if publish {
					mu.Lock()
					published = append(published, sum)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		Expect(published).To(HaveLen(1), "exactly one pod publishes")
		opts.Segment.Shards, opts.DB = 1, openStateStore()
		want, err := metrics.Run(context.Background(), opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(published[0]).To(Equal(want), "the sharded report is one pod's")

		writeReport(ns, "sharded-metrics-report", published[0])
		eventuallyReady(seg, metav1.ConditionTrue, "Measured")
		Expect(*seg.Status.Size).To(Equal(want.Size))
		Expect(seg.Status.Entered).To(Equal(want.Entered))
		Expect(seg.Status.Metrics).To(Equal(report.Decimals(want.Metrics)))
		Expect(seg.Status.Metrics).To(HaveKey("averageOrderValue"))
		Expect(seg.Status.LastSuccessfulRunTime.Time.Equal(asOf)).To(BeTrue())
		Expect(kubectl("get", "segment", "sharded", "-n", ns)).To(MatchRegexp(fmt.Sprintf(`sharded\s+True\s+%d\s+%d`, want.Size, want.Entered)))
	})
})

func envNames(env []corev1.EnvVar) []string {
	var out []string
	for _, e := range env {
		out = append(out, e.Name)
	}
	return out
}

// openStateStore is a fresh SQLite state store.
func openStateStore() *store.DB {
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(GinkgoT().TempDir(), "state.db"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	return db
}

// shardedShop is a SQLite data source of 60 customers with orders and NPS
// answers in the months before 2024-06-30, and a state store.
func shardedShop() (sourceconfig.Config, *store.DB) {
	path := filepath.Join(GinkgoT().TempDir(), "shop.db")
	data, err := store.Open(ctx, "sqlite:"+path)
	Expect(err).NotTo(HaveOccurred())
	defer data.Close()
	Expect(datasource.CreateTables(ctx, data.DB, true)).To(Succeed())
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		id := fmt.Sprintf("c%02d", i)
		_, err := data.Exec(ctx, `INSERT INTO customers (id, created_at) VALUES ($1, $2)`, id, start.Format(time.RFC3339))
		Expect(err).NotTo(HaveOccurred())
		for k := range i % 5 {
			at := start.Add(time.Duration(i*53+k*731) * time.Hour)
			_, err := data.Exec(ctx, `INSERT INTO orders (customer_id, order_id, amount, occurred_at) VALUES ($1, $2, $3, $4)`,
				id, fmt.Sprintf("%s-%d", id, k), float64(i*7%50)+0.35*float64(k+1), at.Format(time.RFC3339))
			Expect(err).NotTo(HaveOccurred())
		}
		if i%3 == 0 {
			_, err := data.Exec(ctx, `INSERT INTO feedback (customer_id, score, occurred_at) VALUES ($1, $2, $3)`,
				id, i%11, start.Add(24*time.Hour).Format(time.RFC3339))
			Expect(err).NotTo(HaveOccurred())
		}
	}
	return sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: path}, openStateStore()
}
