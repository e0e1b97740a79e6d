package loyalty

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	// log receives every 5xx with its cause (route pattern, never the path,
	// which holds the member id).
	log *slog.Logger
	// gate queues ledger requests first come, first served in front of the
	// connection pool (Run sizes it to the pool; nil: no queue).
	gate fifoGate
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
		maxBodySize: maxBodyBytes, log: slog.Default()}, nil
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
	mux.HandleFunc("POST /v1/members/{id}/erasure", a.adminOnly(a.postErasure))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPIDocument) //nolint:errcheck
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := a.readyCheck(r.Context()); err != nil {
			a.serverError(r, 503, err)
			writeError(w, 503, "state store unreachable", "")
			return
		}
		writeJSON(w, 200, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	return a.recoverPanics(a.metrics.instrument(mux))
}

// recoverPanics turns a handler panic into a logged 500 instead of a dropped
// connection with the stack on stderr only.
func (a *API) recoverPanics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.serverError(r, 500, fmt.Errorf("panic: %v", v))
				writeError(w, 500, "internal error", "")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// Request bounds: member ids and Idempotency-Keys are stored and indexed, a
// reason is stored with every adjustment.
const (
	maxKeyBytes    = 200
	maxReasonBytes = 1000
)

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
		if id == "" || len(id) > maxKeyBytes {
			writeError(w, 400, fmt.Sprintf("member id must be 1 to %d characters", maxKeyBytes), "id")
			return
		}
		a.gate.gated(h)(w, r, id)
	}
}

func (a *API) adminOnly(h func(w http.ResponseWriter, r *http.Request, id string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.adminConfigured() {
			writeError(w, 403, adminOffMessage, "Authorization")
			return
		}
		tok := bearer(r)
		switch {
		case a.admin.matches(tok):
			a.gate.gated(h)(w, r, r.PathValue("id"))
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

// adminOffMessage answers every admin route while no separate admin token is
// configured.
const adminOffMessage = "admin routes (adjustments, tier changes, expiring points, erasure) are off: " +
	"they need an admin token different from the API token; set spec.adminTokenSecretRef to a Secret holding one"

// adminConfigured reports whether admin routes are on: an admin token is
// configured and differs from the API token. Without this, a program with no
// adminTokenSecretRef (the sample's) made the shop's API token an admin
// token that could credit any member any number of points. Checked per
// request because both token files are re-read when their Secrets rotate.
func (a *API) adminConfigured() bool {
	if a.admin == nil {
		return false
	}
	admin, err := a.admin.token()
	if err != nil {
		return false
	}
	api, err := a.token.token()
	return err == nil && !bytes.Equal(admin, api)
}

func (a *API) storeError(w http.ResponseWriter, r *http.Request, err error) {
	var insufficient *store.InsufficientError
	var tierRequired *engine.TierRequiredError
	var bound *engine.BalanceBoundError
	switch {
	case errors.As(err, &bound):
		writeJSON(w, 422, struct {
			apiError
			Available  int64 `json:"balance"`
			MaxBalance int64 `json:"maxBalance"`
		}{apiError{Error: bound.Error(), Field: bound.Field}, bound.Balance, engine.MaxBalance})
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
		a.serverError(r, 503, err)
		writeError(w, 503, "request cancelled", "")
	default:
		a.serverError(r, 500, err)
		writeError(w, 500, "internal error", "") // details stay in the server log, not the response
	}
}

func (a *API) getMember(w http.ResponseWriter, r *http.Request, id string) {
	v, err := a.points.Member(r.Context(), id, a.now())
	if err != nil {
		a.storeError(w, r, err)
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
		a.storeError(w, r, err)
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

func (a *API) postRedemption(w http.ResponseWriter, r *http.Request, id string) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > maxKeyBytes {
		writeError(w, 400, fmt.Sprintf("Idempotency-Key header is required (1 to %d characters, unique per redemption attempt)", maxKeyBytes), "Idempotency-Key")
		return
	}
	var body struct{ Reward string }
	if e := decodeBody(r.Body, a.maxBodySize, bodyFields{"reward": &body.Reward}); e != nil {
		writeBodyError(w, e)
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
		a.storeError(w, r, err)
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
		Points int64
		Reason string
	}
	if e := decodeBody(r.Body, a.maxBodySize, bodyFields{"points": &body.Points, "reason": &body.Reason}); e != nil {
		writeBodyError(w, e)
		return
	}
	if err := engine.CheckAdjustment(body.Points); err != nil {
		writeError(w, 400, err.Error(), "points")
		return
	}
	if body.Reason == "" || len(body.Reason) > maxReasonBytes {
		writeError(w, 400, fmt.Sprintf("reason is required for the audit trail (1 to %d bytes)", maxReasonBytes), "reason")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxKeyBytes {
		writeError(w, 400, fmt.Sprintf("Idempotency-Key must be at most %d characters", maxKeyBytes), "Idempotency-Key")
		return
	}
	if key == "" {
		var b [12]byte
		rand.Read(b[:]) //nolint:errcheck // never fails
		key = hex.EncodeToString(b[:])
	}
	adj, replayed, err := a.points.Adjust(r.Context(), id, body.Points, body.Reason, key, a.now())
	if err != nil {
		a.storeError(w, r, err)
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
		a.storeError(w, r, err)
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
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"members": members})
}

// serverError logs a 5xx with its cause. The route pattern names the route
// without the member id in the path; store errors carry no member ids, keys
// or token values (database errors name constraints, not row values).
func (a *API) serverError(r *http.Request, code int, err error) {
	a.log.Error("loyalty API request failed", "route", r.Pattern, "method", r.Method, "status", code, "err", err)
}
