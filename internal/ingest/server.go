package ingest

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/store"
)

// Options configure a Server.
type Options struct {
	// DB is the state store the events go to (migrated by NewServer).
	DB *store.DB
	// Source names whose events these are: "<namespace>/<DataSource>". The
	// campaign workers of Playbooks over that DataSource read them.
	Source string
	// WriteKeyFile holds the write key (the mounted Secret key).
	WriteKeyFile string
	// Clock returns now (receivedAt); nil means time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
}

// Server serves the ingestion API.
type Server struct {
	o   Options
	key *writeKey
}

// NewServer checks the options, reads the write key and migrates the tables.
func NewServer(ctx context.Context, o Options) (*Server, error) {
	if o.DB == nil || o.Source == "" || o.WriteKeyFile == "" {
		return nil, errors.New("ingest: DB, Source and WriteKeyFile are required")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	key, err := newWriteKey(o.WriteKeyFile)
	if err != nil {
		return nil, err
	}
	if err := o.DB.MigrateIngest(ctx); err != nil {
		return nil, err
	}
	return &Server{o: o, key: key}, nil
}

// Handler routes the spec's endpoints, plus /healthz and /readyz for probes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for typ := range messageTypes {
		mux.HandleFunc("/v1/"+typ, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, typ) })
	}
	mux.HandleFunc("/v1/batch", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, "batch") })
	mux.HandleFunc("/v1/import", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, "batch") })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.o.DB.PingContext(ctx); err != nil {
			http.Error(w, "state store unreachable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// serve answers one call: 200 {"success":true} only after the messages are
// committed; a refusal is a 4xx JSON {"success":false,"field":...,"error":...}.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, typ string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, &RequestError{Status: http.StatusMethodNotAllowed, Problem: "use POST"})
		return
	}
	now := s.o.Clock()
	user, _, ok := r.BasicAuth()
	if !ok || !s.key.matches(user, now) {
		w.Header().Set("WWW-Authenticate", `Basic realm="retention ingest"`)
		writeError(w, &RequestError{Status: http.StatusUnauthorized, Field: "Authorization",
			Problem: "missing or wrong write key; send HTTP Basic auth with the source's write key as the username and an empty password"})
		return
	}
	limit := int64(MaxMessageBytes)
	if typ == "batch" {
		limit = MaxBatchBytes
	}
	body, rerr := readBody(r, limit)
	if rerr != nil {
		writeError(w, rerr)
		return
	}
	var p *parsed
	if typ == "batch" {
		p, rerr = parseBatch(body, now)
	} else {
		p, rerr = parseCall(typ, body, now)
	}
	if rerr != nil {
		writeError(w, rerr)
		return
	}
	if _, err := s.o.DB.StoreIngested(r.Context(), s.o.Source, p.events, p.traits); err != nil {
		// Nothing was acknowledged: the sender retries (the spec's libraries
		// retry 5xx), and messageId makes the retry safe.
		s.o.Logger.Error("ingest: store failed", "err", redact.Error(err))
		writeError(w, &RequestError{Status: http.StatusServiceUnavailable, Problem: "could not store the events; retry"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"success":true}`)
}

// readBody reads at most limit bytes of the (possibly gzip-encoded) body;
// a larger body is refused with 413 before more is read.
func readBody(r *http.Request, limit int64) ([]byte, *RequestError) {
	var in io.Reader = r.Body
	switch enc := strings.ToLower(r.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		// Only the raw body is bounded by MaxBytesReader; the limit below
		// bounds what the decompressor may produce.
		zr, err := gzip.NewReader(http.MaxBytesReader(nil, r.Body, limit))
		if err != nil {
			return nil, badField("Content-Encoding", "body is not valid gzip")
		}
		in = zr
	default:
		return nil, &RequestError{Status: http.StatusUnsupportedMediaType, Field: "Content-Encoding",
			Problem: "want gzip or no encoding"}
	}
	body, err := io.ReadAll(io.LimitReader(in, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, badField("", "could not read the body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

func tooLarge(limit int64) *RequestError {
	what := "a call (send several, or a batch)"
	if limit == MaxBatchBytes {
		what = "a batch (split it)"
	}
	return &RequestError{Status: http.StatusRequestEntityTooLarge,
		Problem: fmt.Sprintf("body is over the spec's %d KB limit for %s", limit/1024, what)}
}

func writeError(w http.ResponseWriter, e *RequestError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{"success": false, "field": e.Field, "error": e.Error()})
}
