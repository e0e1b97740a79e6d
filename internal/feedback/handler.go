package feedback

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
)

// Recorder records one feedback event (*store.DB is one).
type Recorder interface {
	RecordFeedback(ctx context.Context, namespace string, f store.Feedback, p store.SoftBouncePolicy) (store.FeedbackResult, error)
}

// Options configure Handler.
type Options struct {
	// Namespace scopes the suppressions (the namespace of the Channel the
	// webhook belongs to); the campaign worker looks up its Playbook's.
	Namespace string
	// SoftBounces says when soft bounces suppress (zero: store defaults).
	SoftBounces store.SoftBouncePolicy
	// Clock is the time signed timestamps are checked against (default time.Now).
	Clock func() time.Time
	// Logger gets one line per request with counts only (default discard).
	Logger *slog.Logger
}

// Result is the handler's answer to an accepted request: counts only, never
// an address.
type Result struct {
	Received   int `json:"received"`
	Recorded   int `json:"recorded"`
	Duplicates int `json:"duplicates"`
	Ignored    int `json:"ignored"`
	Suppressed int `json:"suppressed"`
}

// Handler serves POST /feedback/{provider} for the given providers: it
// bounds the body, lets the provider authenticate and parse it, and only
// then records each event. Mount it as mux.Handle("/feedback/", h).
//
// Answers: 200 with a Result; 4xx with a one-line reason naming the field
// when the request is refused (nothing is recorded); 404 for a provider not
// configured; 503 when the store fails (the provider retries, and events
// already recorded count once by their id).
func Handler(rec Recorder, o Options, providers ...Provider) http.Handler {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	byName := make(map[string]Provider, len(providers))
	for _, p := range providers {
		byName[p.Name()] = p
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /feedback/{provider}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := byName[r.PathValue("provider")]
		if !ok {
			refuse(w, &RequestError{Status: http.StatusNotFound, Field: "path", Problem: "no feedback provider configured under this name",
				Fix: "post to /feedback/sendgrid, /feedback/mailgun or /feedback/postmark as configured"})
			return
		}
		res, err := serve(w, r, p, rec, o)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) {
				o.Logger.Error("feedback not recorded; the provider will retry", "provider", p.Name(), "err", err)
				re = &RequestError{Status: http.StatusServiceUnavailable, Field: "store", Problem: "feedback could not be recorded",
					Fix: "retry later"}
			} else {
				o.Logger.Info("feedback request refused", "provider", p.Name(), "status", re.Status, "reason", re.Error())
			}
			refuse(w, re)
			return
		}
		o.Logger.Info("feedback recorded", "provider", p.Name(), "received", res.Received, "recorded", res.Recorded,
			"duplicates", res.Duplicates, "ignored", res.Ignored, "suppressed", res.Suppressed)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
	return mux
}

// serve reads, authenticates, parses and records one request.
func serve(w http.ResponseWriter, r *http.Request, p Provider, rec Recorder, o Options) (Result, error) {
	// MaxBytesReader also tells the server to close the connection after an
	// oversized body instead of reading the rest of it.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return Result{}, &RequestError{Status: http.StatusRequestEntityTooLarge, Field: "body",
				Problem: "larger than 1 MiB", Fix: "send smaller batches"}
		}
		return Result{}, badRequest("body", "could not be read")
	}
	events, ignored, err := p.Events(r, body, o.Clock())
	if err != nil {
		return Result{}, err
	}
	res := Result{Received: len(events) + ignored, Ignored: ignored}
	for _, ev := range events {
		out, err := rec.RecordFeedback(r.Context(), o.Namespace, ev, o.SoftBounces)
		if err != nil {
			return Result{}, err
		}
		if out.Duplicate {
			res.Duplicates++
			continue
		}
		res.Recorded++
		if out.Reason != "" {
			res.Suppressed++
		}
	}
	return res, nil
}

func refuse(w http.ResponseWriter, e *RequestError) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	_, _ = io.WriteString(w, "feedback refused: "+e.Error()+"\n")
}
