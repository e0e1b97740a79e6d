package controller_test

import (
	"fmt"
	"time"

	dto "github.com/prometheus/client_model/go"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/controller"
	"github.com/retention-dev/retention-operator/internal/report"
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
		reach := findCondition(seg, controller.ConditionDataSourceReachable)
		Expect(reach.Status).To(Equal(metav1.ConditionFalse))
		Expect(findCondition(seg, controller.ConditionLastRunSucceeded).Status).To(Equal(metav1.ConditionFalse))
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
		reach = findCondition(seg, controller.ConditionDataSourceReachable)
		Expect(reach.Status).To(Equal(metav1.ConditionTrue))
		Expect(reach.Message).NotTo(ContainSubstring("line 12"))
		Expect(findCondition(seg, controller.ConditionLastRunSucceeded).Message).To(ContainSubstring("line 12"))
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

func findCondition(obj interface {
	GetConditions() *[]metav1.Condition
}, t string) *metav1.Condition {
	for i, c := range *obj.GetConditions() {
		if c.Type == t {
			return &(*obj.GetConditions())[i]
		}
	}
	return nil
}

var _ = v1alpha1.ConditionReady

// gauge reads a gauge the manager exports on its metrics endpoint.
func gauge(name string, labels map[string]string) float64 {
	return sample(name, dto.MetricType_GAUGE, labels)
}

// sample is the value of the series of metric name, of type typ, whose
// labels include labels.
func sample(name string, typ dto.MetricType, labels map[string]string) float64 {
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		Expect(f.GetType()).To(Equal(typ), name)
	series:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue series
				}
			}
			if typ == dto.MetricType_COUNTER {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	Fail(fmt.Sprintf("no series %s%v", name, labels))
	return 0
}
