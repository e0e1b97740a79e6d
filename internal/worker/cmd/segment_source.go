package cmd

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
)

// windowedSource gives the campaign worker's feature scans the Segment's
// window, so windowOrders and windowSpend in the segment criteria (and in
// branch and exit conditions) mean what they mean in the metric job: orders
// with AsOf-window < occurred_at <= AsOf. The campaign worker asks for
// feature rows without a window, which would leave both at 0.
type windowedSource struct {
	datasource.Connector
	window time.Duration
}

var _ campaign.Source = windowedSource{}

// ScanFeatures fills in the window when the caller left it unset.
func (s windowedSource) ScanFeatures(ctx context.Context, q datasource.FeatureQuery, fn func(*customer.Features) error) error {
	if q.Window == 0 {
		q.Window = s.window
	}
	return s.Connector.ScanFeatures(ctx, q, fn)
}
