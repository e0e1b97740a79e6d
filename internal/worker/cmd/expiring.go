package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// expiringFeed reads a program's members whose points lapse within its
// warning window (GET {url}/v1/expiring, admin token) for a points_expiring
// trigger. The campaign reads it every tick: the list holds only the members
// inside the window and needs no cursor; the campaign remembers per member
// which expiry date it reminded about.
type expiringFeed struct{ api *programAPI }

func newExpiringFeed(program string, programs map[string]contract.LoyaltyEndpoint, paths workload.Paths) (*expiringFeed, error) {
	api, err := newProgramAPI("trigger.event.programRef", program, programs, paths)
	if err != nil {
		return nil, err
	}
	return &expiringFeed{api: api}, nil
}

// Members implements campaign.ExpiringFunc.
func (f *expiringFeed) Members(ctx context.Context) ([]campaign.ExpiringPoints, error) {
	var page struct {
		Members []struct {
			MemberID  string    `json:"memberId"`
			Points    int64     `json:"points"`
			ExpiresAt time.Time `json:"expiresAt"`
		} `json:"members"`
	}
	if err := f.api.get(ctx, "/v1/expiring", "expiring points", &page); err != nil {
		return nil, err
	}
	out := make([]campaign.ExpiringPoints, len(page.Members))
	for i, m := range page.Members {
		if m.MemberID == "" || m.ExpiresAt.IsZero() {
			// Position only: the member id is customer data.
			return nil, fmt.Errorf("program %s expiring points: member %d has no memberId or expiresAt", f.api.program, i)
		}
		out[i] = campaign.ExpiringPoints{MemberID: m.MemberID, Points: m.Points, ExpiresAt: m.ExpiresAt}
	}
	return out, nil
}
