package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/worker/campaign"
)

// expiringMembers reads the program's members whose points lapse within its
// warning window (GET {url}/v1/expiring, admin token) for a points_expiring
// trigger; it implements campaign.ExpiringFunc. The campaign reads it every
// tick: the list holds only the members inside the window and needs no
// cursor; the campaign remembers per member which expiry date it reminded
// about.
func (a *programAPI) expiringMembers(ctx context.Context) ([]campaign.ExpiringPoints, error) {
	var page expiringPage
	if err := a.get(ctx, "/v1/expiring", "expiring points", &page); err != nil {
		return nil, err
	}
	out := make([]campaign.ExpiringPoints, len(page.Members))
	for i, m := range page.Members {
		if m.MemberID == "" || m.ExpiresAt.IsZero() {
			// Position only: the member id is customer data.
			return nil, fmt.Errorf("program %s expiring points: member %d has no memberId or expiresAt", a.program, i)
		}
		out[i] = campaign.ExpiringPoints{MemberID: m.MemberID, Points: m.Points, ExpiresAt: m.ExpiresAt}
	}
	return out, nil
}

// expiringPage is the body of GET /v1/expiring.
type expiringPage struct {
	Members []expiringMember `json:"members"`
}

// expiringMember is one member of GET /v1/expiring: the points that lapse
// and when.
type expiringMember struct {
	MemberID  string    `json:"memberId"`
	Points    int64     `json:"points"`
	ExpiresAt time.Time `json:"expiresAt"`
}
