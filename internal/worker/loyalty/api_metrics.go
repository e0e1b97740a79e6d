package loyalty

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// apiMetrics are the request-side collectors of the API.
type apiMetrics struct {
	requests      *prometheus.CounterVec
	redemptions   *prometheus.CounterVec
	redeemSeconds prometheus.Histogram
}

func newAPIMetrics(reg prometheus.Registerer) *apiMetrics {
	m := &apiMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalty_http_requests_total", Help: "Loyalty API requests by route pattern and status code.",
		}, []string{"route", "code"}),
		redemptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalty_redemptions_total", Help: "Redemption requests by result (ok, replayed, insufficient, tier: the reward needs a higher tier).",
		}, []string{"result"}),
		redeemSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "loyalty_redemption_duration_seconds", Help: "Time to run one redemption transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	reg.MustRegister(m.requests, m.redemptions, m.redeemSeconds)
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// instrument counts requests by route pattern (never by raw path, which holds member ids).
func (m *apiMetrics) instrument(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: 200}
		mux.ServeHTTP(rec, r)
		pattern := r.Pattern // set by the mux while routing: no second match per request
		if pattern == "" {
			pattern = "unmatched"
		}
		m.requests.WithLabelValues(pattern, strconv.Itoa(rec.code)).Inc()
	})
}
