//go:build e2e

package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// receiver is the webhook endpoint the test runs on the node address: every
// message a campaign worker sends through the "receiver" Channel arrives here,
// and it counts deliveries per idempotency key. A key seen twice is a re-send
// of a message already acknowledged.
type receiver struct {
	mu         sync.Mutex
	deliveries map[string]int       // idempotency key -> times received
	customers  map[string]string    // idempotency key -> customer id
	playbooks  map[string]string    // idempotency key -> playbook
	perSecond  map[int64]int        // unix second -> requests
	first      map[string]time.Time // idempotency key -> first arrival
	srv        *http.Server
}

type webhookPayload struct {
	IdempotencyKey string `json:"idempotency_key"`
	Metadata       struct {
		Playbook   string `json:"playbook"`
		CustomerID string `json:"customer_id"`
	} `json:"metadata"`
}

func startReceiver(addr string) (*receiver, error) {
	r := &receiver{deliveries: map[string]int{}, customers: map[string]string{}, playbooks: map[string]string{},
		perSecond: map[int64]int{}, first: map[string]time.Time{}}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var p webhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := req.Header.Get("Idempotency-Key")
	if key == "" {
		key = p.IdempotencyKey
	}
	r.mu.Lock()
	r.deliveries[key]++
	r.customers[key] = p.Metadata.CustomerID
	// Metadata names the playbook as namespace/name.
	r.playbooks[key] = p.Metadata.Playbook[strings.LastIndex(p.Metadata.Playbook, "/")+1:]
	r.perSecond[time.Now().Unix()]++
	if _, ok := r.first[key]; !ok {
		r.first[key] = time.Now()
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// counts returns the unique keys received for a playbook and how many
// deliveries repeated a key already received.
func (r *receiver) counts(playbook string) (unique, resent int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, n := range r.deliveries {
		if r.playbooks[key] != playbook {
			continue
		}
		unique++
		resent += n - 1
	}
	return unique, resent
}

// customersOf lists the customers a playbook's messages went to.
func (r *receiver) customersOf(playbook string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for key, c := range r.customers {
		if r.playbooks[key] == playbook {
			out = append(out, c)
		}
	}
	return out
}

func (r *receiver) close() { _ = r.srv.Close() }
