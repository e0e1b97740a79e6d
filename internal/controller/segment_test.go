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
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/controller"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/metrics"
)

var _ = Describe("Segment metric job", func() {
	It("folds a completed run into status and keeps figures when a run fails", func() {
		ns := fixtureNamespace()
		seg := create(newSegment(ns, "at-risk", "customer.recencyDays > 60.0"))
		// No figures yet: not Ready, and the first run was started at once
		// rather than at the next scheduled time.
		cond := eventuallyReady(seg, metav1.ConditionFalse, "FirstRun")
		Expect(cond.Message).To(ContainSubstring("waiting for the first metric run"))
		var jobs batchv1.JobList
		Expect(k8s.List(ctx, &jobs, client.InNamespace(ns))).To(Succeed())
		Expect(jobs.Items).To(HaveLen(1))
		first := jobs.Items[0]
		Expect(first.Name).To(HavePrefix("at-risk-metrics-"))
		Expect(first.Spec.Template.Spec.Containers[0].Args).To(Equal([]string{"metrics", "--spec=/etc/retention/spec.json"}))
		Expect(*first.Spec.ActiveDeadlineSeconds).To(BeNumerically(">", 0), "every worker Job has a deadline")

		cj := &batchv1.CronJob{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "at-risk-metrics"}, cj)).To(Succeed())
		Expect(cj.Spec.Schedule).To(Equal("0 * * * *"))
		Expect(cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args).To(Equal([]string{"metrics", "--spec=/etc/retention/spec.json"}))

		run := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		writeReport(ns, "at-risk-metrics-report", report.Segment{
			RunTime: run, Succeeded: true, DataSourceReachable: true, LastSuccess: &run,
			Size: 412, Entered: 37, Exited: 12, Customers: 5000,
			Metrics: map[string]report.Figure{"retentionRate": 71.2, "nps": 32},
		})
		eventuallyReady(seg, metav1.ConditionTrue, "Measured")
		Expect(*seg.Status.Size).To(Equal(int64(412)))
		Expect(seg.Status.Entered).To(Equal(int64(37)))
		Expect(seg.Status.Exited).To(Equal(int64(12)))
		Expect(seg.Status.Metrics).To(HaveKeyWithValue("retentionRate", "71.20"))
		Expect(seg.Status.LastSuccessfulRunTime.Time.Equal(run)).To(BeTrue())
		Expect(kubectl("get", "segment", "at-risk", "-n", ns)).To(MatchRegexp(`at-risk\s+True\s+412\s+37\s+12\s+71.20`))
		Expect(gauge("retention_segment_size", map[string]string{"namespace": ns, "segment": "at-risk"})).To(Equal(412.0))
		Expect(gauge("retention_segment_metric", map[string]string{"namespace": ns, "segment": "at-risk", "metric": "retentionRate"})).To(Equal(71.2))

		failed := run.Add(time.Hour)
		writeReport(ns, "at-risk-metrics-report", report.Segment{
			RunTime: failed, Succeeded: false, DataSourceReachable: false, LastSuccess: &run,
			Error: "data source unreachable: dial tcp 10.0.0.5:5432: connect: connection refused",
		})
		cond = eventuallyReady(seg, metav1.ConditionFalse, "MetricJobFailed")
		Expect(cond.Message).To(ContainSubstring("connection refused"))
		Expect(*seg.Status.Size).To(Equal(int64(412)), "previous figures are kept")
		Expect(seg.Status.LastRunTime.Time.Equal(failed)).To(BeTrue())
		Expect(seg.Status.LastSuccessfulRunTime.Time.Equal(run)).To(BeTrue())
		reach := meta.FindStatusCondition(seg.Status.Conditions, controller.ConditionDataSourceReachable)
		Expect(reach.Status).To(Equal(metav1.ConditionFalse))
		Expect(meta.FindStatusCondition(seg.Status.Conditions, controller.ConditionLastRunSucceeded).Status).To(Equal(metav1.ConditionFalse))
		Expect(kstatusOf(seg).Status).To(Equal(status.FailedStatus))

		// A run that reached the data source and failed on a row is reachable:
		// the row error belongs to LastRunSucceeded, not to DataSourceReachable.
		rowFailed := failed.Add(time.Hour)
		writeReport(ns, "at-risk-metrics-report", report.Segment{
			RunTime: rowFailed, Succeeded: false, DataSourceReachable: true, LastSuccess: &run,
			Error: `orders.csv line 12: timestamp "2024-13-01" is not a date`,
		})
		Eventually(func(g Gomega) {
			reload(g, seg)
			g.Expect(seg.Status.LastRunTime.Time.Equal(rowFailed)).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		reach = meta.FindStatusCondition(seg.Status.Conditions, controller.ConditionDataSourceReachable)
		Expect(reach.Status).To(Equal(metav1.ConditionTrue))
		Expect(reach.Message).NotTo(ContainSubstring("line 12"))
		Expect(meta.FindStatusCondition(seg.Status.Conditions, controller.ConditionLastRunSucceeded).Message).To(ContainSubstring("line 12"))
	})

	It("suspends its CronJob", func() {
		ns := fixtureNamespace()
		seg := newSegment(ns, "vips", "customer.monetary > 500.0")
		seg.Spec.Suspend = true
		Expect(k8s.Create(ctx, seg)).To(Succeed())
		eventuallyReady(seg, metav1.ConditionTrue, "Suspended")
		cj := &batchv1.CronJob{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vips-metrics"}, cj)).To(Succeed())
		Expect(cj.Spec.Suspend).To(HaveValue(BeTrue()))
	})
})

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
