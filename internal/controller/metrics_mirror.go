package controller

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// mirroredCounter exports a count that a worker keeps, such as the messages
// a Playbook has sent (counted in its state store), as a Prometheus counter.
// The controller does not count: it mirrors the worker's running total from
// each report, as exporters mirror a kernel's counters, so the value is set
// rather than added to, and the type is still counter (rate() and
// increase() apply). A total that falls (customers erased with their
// ledger rows) reads as a counter reset.
type mirroredCounter struct {
	desc   *prometheus.Desc
	labels []string

	mu     sync.Mutex
	series map[string][]string // joined label values -> label values
	values map[string]float64
}

func newMirroredCounter(name, help string, labels ...string) *mirroredCounter {
	return &mirroredCounter{desc: prometheus.NewDesc(name, help, labels, nil), labels: labels,
		series: map[string][]string{}, values: map[string]float64{}}
}

// Set records the worker's total for one series.
func (c *mirroredCounter) Set(v float64, labelValues ...string) {
	key := strings.Join(labelValues, "\x00")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.series[key], c.values[key] = labelValues, v
}

// DeletePartialMatch drops every series whose labels include all of
// labels, as GaugeVec's method of that name does, and returns how many.
func (c *mirroredCounter) DeletePartialMatch(labels prometheus.Labels) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for key, values := range c.series {
		if c.matches(values, labels) {
			delete(c.series, key)
			delete(c.values, key)
			n++
		}
	}
	return n
}

func (c *mirroredCounter) matches(values []string, labels prometheus.Labels) bool {
	for i, name := range c.labels {
		if want, ok := labels[name]; ok && values[i] != want {
			return false
		}
	}
	return true
}

func (c *mirroredCounter) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *mirroredCounter) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, values := range c.series {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, c.values[key], values...)
	}
}
