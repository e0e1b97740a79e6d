package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// Loyalty data reaches a campaign in two ways, chosen for what each needs:
//
//   - Tier changes (trigger.tierChange) come from the program's loyalty API,
//     GET {url}/v1/tier-changes?after=<id> with the admin token mounted at
//     loyalty/<program>/<tokenKey>. The API works whatever state store each
//     worker uses, and its change log is ordered by id, so the campaign keeps
//     the last id in its journey cursors table and never misses or repeats
//     a change.
//   - Expiring points (trigger.event points_expiring with programRef) come
//     from the same API, GET {url}/v1/expiring (expiring.go).
//   - Tier and points on the feature rows (customer.loyaltyTier,
//     {{.loyaltyPoints}}) come from the points ledger tables in the
//     campaign's own state store (store.Points.ForEachBalance, one query per
//     tick) when the loyalty worker shares it: the LoyaltyProgram's
//     DataSource and the Segment's DataSource name the same PostgreSQL
//     stateStore. The API has no bulk balance read, and one request per
//     customer per tick does not scale. Without a shared ledger the fields
//     stay empty and the worker says so once. Points that lapse by
//     inactivity are counted until the loyalty worker's maintenance pass
//     records the lapse (the campaign does not know the program's expiry
//     policy); fixed-expiry lots are excluded at read time.

// loyaltyReferenced reports whether the playbook reads loyalty data: its
// segment adds loyalty features, a step awards points or the trigger is a
// tier change or points expiring.
func loyaltyReferenced(spec *contract.Playbook) bool {
	if spec.Segment.LoyaltyProgram != "" || spec.Journey.Trigger.TierChange != nil {
		return true
	}
	if ev := spec.Journey.Trigger.Event; ev != nil && ev.ProgramRef != "" {
		return true
	}
	for _, s := range spec.Journey.Steps {
		if s.AwardPoints != nil {
			return true
		}
	}
	return false
}

// ledgerBalances reads balances from the points tables of the state store at
// url, once they exist (the loyalty worker may start after the campaign).
type ledgerBalances struct {
	url     string
	log     func(msg string, args ...any)
	mu      sync.Mutex
	db      *store.DB
	points  *store.Points
	warned  bool
	checked time.Time
}

// ForEachBalance implements campaign.BalancesFunc.
func (b *ledgerBalances) ForEachBalance(ctx context.Context, now time.Time, fn func(memberID, tier string, available int64) error) error {
	p, err := b.ledger(ctx)
	if err != nil || p == nil {
		return err
	}
	return p.ForEachBalance(ctx, now, fn)
}

func (b *ledgerBalances) ledger(ctx context.Context) (*store.Points, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.points != nil {
		return b.points, nil
	}
	// Look again at most once a minute.
	if time.Since(b.checked) < time.Minute {
		return nil, nil
	}
	b.checked = time.Now()
	if b.db == nil {
		db, err := store.Open(ctx, b.url)
		if err != nil {
			return nil, err
		}
		b.db = db
	}
	var one int
	if err := b.db.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM points_members LIMIT 1) AS m`).Scan(&one); err != nil {
		if !b.warned {
			b.warned = true
			b.log("loyalty tier and points stay empty on the feature rows: the state store holds no points ledger; " +
				"give the Segment's and the LoyaltyProgram's DataSources the same PostgreSQL stateStore")
		}
		return nil, nil
	}
	// The tables exist, so this migrates nothing; the empty config only
	// leaves inactivity lapses to the loyalty worker (see above).
	p, err := store.OpenPoints(ctx, b.db, &loyalty.Config{})
	if err != nil {
		return nil, err
	}
	b.points = p
	return p, nil
}

func (b *ledgerBalances) Close() {
	if b.db != nil {
		b.db.Close()
	}
}

// programAPI calls a loyalty program's admin routes with the admin token
// mounted at loyalty/<program>/<tokenKey> (re-read on every call, so a
// rotated Secret applies without a restart).
type programAPI struct {
	program string
	ep      contract.LoyaltyEndpoint
	secrets channel.SecretSource
	client  *http.Client
}

// newProgramAPI finds the program's endpoint; field names the spec field
// that referenced the program, for the error.
func newProgramAPI(field, program string, programs map[string]contract.LoyaltyEndpoint, paths workload.Paths) (*programAPI, error) {
	ep, ok := programs[program]
	if !ok {
		return nil, fmt.Errorf("%s %q: the worker spec has no loyaltyPrograms entry for it "+
			"(the controller adds one per referenced LoyaltyProgram with an admin token)", field, program)
	}
	return &programAPI{program: program, ep: ep, client: &http.Client{Timeout: 15 * time.Second},
		secrets: channel.DirSecrets(paths.Secrets(contract.LoyaltyTokensDir, program))}, nil
}

// get decodes the JSON answer of GET {url}{pathQuery}; what names the
// resource in errors.
func (a *programAPI) get(ctx context.Context, pathQuery, what string, v any) error {
	tok, err := a.secrets.Secret(a.ep.TokenKey)
	if err != nil {
		return fmt.Errorf("program %s admin token: %w", a.program, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(a.ep.URL, "/")+pathQuery, nil)
	if err != nil {
		return fmt.Errorf("program %s URL %q: %w", a.program, a.ep.URL, err)
	}
	req.Header.Set("Authorization", "Bearer "+string(tok))
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("program %s %s: %w", a.program, what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("program %s %s: HTTP %d: %s", a.program, what, resp.StatusCode, strings.TrimSpace(string(detail)))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("program %s %s: %w", a.program, what, err)
	}
	return nil
}

// tierChanges pages the program's tier change log through its API; it
// implements campaign.TierChangesFunc.
func (a *programAPI) tierChanges(ctx context.Context, after int64) ([]campaign.TierChange, error) {
	var page struct {
		Changes []struct {
			ID       int64  `json:"id"`
			MemberID string `json:"memberId"`
			From     string `json:"from"`
			To       string `json:"to"`
		} `json:"changes"`
	}
	if err := a.get(ctx, "/v1/tier-changes?limit=1000&after="+strconv.FormatInt(after, 10), "tier changes", &page); err != nil {
		return nil, err
	}
	out := make([]campaign.TierChange, len(page.Changes))
	for i, c := range page.Changes {
		out[i] = campaign.TierChange{ID: c.ID, MemberID: c.MemberID, From: c.From, To: c.To}
	}
	return out, nil
}
