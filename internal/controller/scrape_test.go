package controller_test

import (
	"fmt"

	dto "github.com/prometheus/client_model/go"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

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
