package loyalty

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
)

// API serves the member endpoints over one ledger.
type API struct {
	points      *store.Points
	cfg         *engine.Config
	now         func() time.Time
	token       *tokenFile
	admin       *tokenFile
	registry    *prometheus.Registry
	metrics     *apiMetrics
	readyCheck  func(ctx context.Context) error
	maxBodySize int64
}

// NewAPI builds the handler; tokenFile is required, adminTokenFile optional.
func NewAPI(points *store.Points, cfg *engine.Config, now func() time.Time, tokenFile, adminTokenFile string, reg *prometheus.Registry) (*API, error) {
	tok, err := loadToken(tokenFile)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, errors.New("loyalty API: no token file: mount the API token Secret and set its path")
	}
	admin, err := loadToken(adminTokenFile)
	if err != nil {
		return nil, err
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	return &API{points: points, cfg: cfg, now: now, token: tok, admin: admin, registry: reg,
		metrics: newAPIMetrics(reg), readyCheck: func(ctx context.Context) error { return points.DB().PingContext(ctx) },
		maxBodySize: 1 << 16}, nil
}

// Handler routes the API (Go 1.22 method and wildcard patterns).
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/members/{id}", a.member(a.getMember))
	mux.HandleFunc("GET /v1/members/{id}/history", a.member(a.getHistory))
	mux.HandleFunc("POST /v1/members/{id}/redemptions", a.member(a.postRedemption))
	mux.HandleFunc("POST /v1/members/{id}/adjustments", a.adminOnly(a.postAdjustment))
	mux.HandleFunc("GET /v1/tier-changes", a.adminOnly(a.getTierChanges))
	mux.HandleFunc("GET /v1/expiring", a.adminOnly(a.getExpiring))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPIDocument) //nolint:errcheck
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := a.readyCheck(r.Context()); err != nil {
			writeError(w, 503, "state store unreachable", "")
			return
		}
		writeJSON(w, 200, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	return a.metrics.instrument(mux)
}

// apiError is the JSON error body: what is wrong and which field.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // client went away
}

func writeError(w http.ResponseWriter, code int, msg, field string) {
	writeJSON(w, code, apiError{Error: msg, Field: field})
}

// member wraps member routes: bearer auth (API or admin token) and a sane id.
// Handlers only ever read or write the ledger of the {id} in the path.
func (a *API) member(h func(w http.ResponseWriter, r *http.Request, id string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		if !a.token.matches(tok) && !a.admin.matches(tok) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="loyalty"`)
			writeError(w, 401, "missing or wrong bearer token", "Authorization")
			return
		}
		id := r.PathValue("id")
		if id == "" || len(id) > 200 {
			writeError(w, 400, "member id must be 1 to 200 characters", "id")
			return
		}
		h(w, r, id)
	}
}

func (a *API) adminOnly(h func(w http.ResponseWriter, r *http.Request, id string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.admin == nil {
			writeError(w, 403, "admin routes are disabled: no admin token file is configured", "Authorization")
			return
		}
		tok := bearer(r)
		switch {
		case a.admin.matches(tok): // checked first: without a separate admin token both files hold the same token
			h(w, r, r.PathValue("id"))
		case a.token.matches(tok):
			// Authenticated, but the shop's token: a separate admin token
			// (spec.adminTokenSecretRef) keeps adjustments and program-wide
			// lists away from it, so this is forbidden, not unauthenticated.
			writeError(w, 403, "the API token does not authorize admin routes; use the admin token (spec.adminTokenSecretRef)", "Authorization")
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="loyalty-admin"`)
			writeError(w, 401, "missing or wrong admin bearer token", "Authorization")
		}
	}
}

func (a *API) storeError(w http.ResponseWriter, err error) {
	var insufficient *store.InsufficientError
	var tierRequired *engine.TierRequiredError
	switch {
	case errors.Is(err, store.ErrUnknownMember):
		writeError(w, 404, "unknown member", "id")
	case errors.As(err, &insufficient):
		writeJSON(w, 409, struct {
			apiError
			Available int64 `json:"available"`
			Needed    int64 `json:"needed"`
		}{apiError{Error: insufficient.Error(), Field: "points"}, insufficient.Available, insufficient.Needed})
	case errors.As(err, &tierRequired):
		writeJSON(w, 403, struct {
			apiError
			Reward  string `json:"reward"`
			MinTier string `json:"minTier"`
			Tier    string `json:"tier"`
		}{apiError{Error: tierRequired.Error(), Field: "reward"}, tierRequired.Reward, tierRequired.MinTier, tierRequired.Tier})
	case errors.Is(err, store.ErrIdempotencyReuse):
		writeError(w, 422, "this Idempotency-Key was already used for a different reward; use a new key", "Idempotency-Key")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeError(w, 503, "request cancelled", "")
	default:
		writeError(w, 500, "internal error", "") // details stay in the server log, not the response
	}
}

func (a *API) getMember(w http.ResponseWriter, r *http.Request, id string) {
	v, err := a.points.Member(r.Context(), id, a.now())
	if err != nil {
		a.storeError(w, err)
		return
	}
	writeJSON(w, 200, v)
}

func intParam(r *http.Request, name string, def, lo, hi int64) (int64, bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

func (a *API) getHistory(w http.ResponseWriter, r *http.Request, id string) {
	limit, ok := intParam(r, "limit", 50, 1, 500)
	if !ok {
		writeError(w, 400, "limit must be an integer from 1 to 500", "limit")
		return
	}
	before, ok := intParam(r, "before", 0, 0, 1<<62)
	if !ok {
		writeError(w, 400, "before must be a non-negative entry id", "before")
		return
	}
	entries, err := a.points.History(r.Context(), id, before, int(limit))
	if err != nil {
		a.storeError(w, err)
		return
	}
	resp := struct {
		Entries    []store.Entry `json:"entries"`
		NextBefore int64         `json:"nextBefore,omitempty"`
	}{Entries: entries}
	if len(entries) == int(limit) {
		resp.NextBefore = entries[len(entries)-1].ID
	}
	writeJSON(w, 200, resp)
}

// decode reads a JSON body strictly; on failure it writes a 400 naming the field.
func (a *API) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, a.maxBodySize))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			writeError(w, 400, "field "+typeErr.Field+" must be a JSON "+typeErr.Type.String(), typeErr.Field)
		case errors.Is(err, io.EOF):
			writeError(w, 400, "request body is empty: send a JSON object", "body")
		default:
			writeError(w, 400, "request body is not valid JSON for this route: "+err.Error(), "body")
		}
		return false
	}
	return true
}

func (a *API) postRedemption(w http.ResponseWriter, r *http.Request, id string) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 200 {
		writeError(w, 400, "Idempotency-Key header is required (1 to 200 characters, unique per redemption attempt)", "Idempotency-Key")
		return
	}
	var body struct {
		Reward string `json:"reward"`
	}
	if !a.decode(w, r, &body) {
		return
	}
	if body.Reward == "" {
		writeError(w, 400, "reward is required", "reward")
		return
	}
	reward, ok := a.cfg.Reward(body.Reward)
	if !ok {
		writeError(w, 404, "unknown reward", "reward")
		return
	}
	start := time.Now()
	red, replayed, err := a.points.Redeem(r.Context(), id, reward.Name, reward.Cost, key, a.now())
	a.metrics.redeemSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		var tierRequired *engine.TierRequiredError
		switch {
		case errors.Is(err, store.ErrInsufficientPoints):
			a.metrics.redemptions.WithLabelValues("insufficient").Inc()
		case errors.As(err, &tierRequired):
			a.metrics.redemptions.WithLabelValues("tier").Inc()
		}
		a.storeError(w, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
		a.metrics.redemptions.WithLabelValues("replayed").Inc()
	} else {
		a.metrics.redemptions.WithLabelValues("ok").Inc()
	}
	writeJSON(w, 201, red)
}

func (a *API) postAdjustment(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Points int64  `json:"points"`
		Reason string `json:"reason"`
	}
	if !a.decode(w, r, &body) {
		return
	}
	if body.Points == 0 {
		writeError(w, 400, "points must be a non-zero integer (positive credits, negative debits)", "points")
		return
	}
	if body.Reason == "" {
		writeError(w, 400, "reason is required for the audit trail", "reason")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		var b [12]byte
		rand.Read(b[:]) //nolint:errcheck // never fails
		key = hex.EncodeToString(b[:])
	}
	adj, replayed, err := a.points.Adjust(r.Context(), id, body.Points, body.Reason, key, a.now())
	if err != nil {
		a.storeError(w, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, 201, adj)
}

func (a *API) getTierChanges(w http.ResponseWriter, r *http.Request, _ string) {
	after, ok := intParam(r, "after", 0, 0, 1<<62)
	if !ok {
		writeError(w, 400, "after must be a non-negative change id (the last id you saw)", "after")
		return
	}
	limit, ok := intParam(r, "limit", 100, 1, 1000)
	if !ok {
		writeError(w, 400, "limit must be an integer from 1 to 1000", "limit")
		return
	}
	changes, err := a.points.TierChangesSince(r.Context(), after, int(limit))
	if err != nil {
		a.storeError(w, err)
		return
	}
	next := after
	if len(changes) > 0 {
		next = changes[len(changes)-1].ID
	}
	writeJSON(w, 200, map[string]any{"changes": changes, "cursor": next})
}

func (a *API) getExpiring(w http.ResponseWriter, r *http.Request, _ string) {
	members, err := a.points.Expiring(r.Context(), a.now())
	if err != nil {
		a.storeError(w, err)
		return
	}
	writeJSON(w, 200, map[string]any{"members": members})
}
