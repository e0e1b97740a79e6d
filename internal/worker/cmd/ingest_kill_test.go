package cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// killSource is the source the killed ingest workers write.
const killSource = "shop/web"

// Every message the ingestion API acknowledged is stored exactly once, though
// the worker process is SIGKILLed mid-batch again and again while clients
// post, and clients resend every batch whose answer they did not get (as the
// spec's libraries do), so some batches arrive after they were committed.
func TestIngestSurvivesSIGKILL(t *testing.T) {
	const (
		kills   = 12
		clients = 4
		perCall = 100
	)
	dsn := testdb.Postgres(t)
	keyFile := writeKeyFile(t, "wk_kill_test")
	var (
		mu      sync.Mutex
		acked   = map[string]int{} // messageId -> acknowledgements
		pending = make([][]string, clients)
		seq     int
	)
	nextBatch := func(c int) []string {
		mu.Lock()
		defer mu.Unlock()
		if pending[c] != nil { // resend the batch whose answer was lost
			return pending[c]
		}
		ids := make([]string, perCall)
		for i := range ids {
			seq++
			ids[i] = fmt.Sprintf("kill-%d-%d", c, seq)
		}
		pending[c] = ids
		return ids
	}
	answered := func(c int, ids []string) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			acked[id]++
		}
		pending[c] = nil
	}
	var posted, refusedOrLost, committedUnanswered int
	for round := 0; round < kills; round++ {
		addr := freeAddr(t)
		proc := startIngest(t, dsn, keyFile, addr)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var countMu sync.Mutex
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					ids := nextBatch(c)
					ok := postSpecBatch("http://"+addr, "wk_kill_test", ids)
					countMu.Lock()
					posted++
					if !ok {
						refusedOrLost++
					}
					countMu.Unlock()
					if ok {
						answered(c, ids)
					} else {
						time.Sleep(5 * time.Millisecond)
					}
				}
			}(c)
		}
		time.Sleep(time.Duration(150+rand.IntN(250)) * time.Millisecond)
		if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = proc.Wait()
		close(stop)
		wg.Wait()
		committedUnanswered += countCommittedPending(t, dsn, pending)
	}
	// One last clean run answers every batch still pending.
	addr := freeAddr(t)
	proc := startIngest(t, dsn, keyFile, addr)
	for c := range pending {
		if ids := pending[c]; ids != nil {
			if !postSpecBatch("http://"+addr, "wk_kill_test", ids) {
				t.Fatalf("final resend of client %d's batch refused", c)
			}
			answered(c, ids)
		}
	}
	_ = proc.Process.Signal(syscall.SIGTERM)
	_ = proc.Wait()

	stored, rows := storedKillMessages(t, dsn)
	for id, n := range acked {
		if stored[id] != 1 || n != 1 {
			t.Errorf("messageId %s acknowledged %d times, stored %d times, want 1 and 1", id, n, stored[id])
		}
	}
	if rows != len(acked) || len(stored) != len(acked) {
		t.Errorf("%d rows, %d distinct ids stored; %d ids acknowledged (every stored id was acknowledged once the final resends ran)",
			rows, len(stored), len(acked))
	}
	if len(acked) < kills*perCall {
		t.Errorf("only %d messages acknowledged over %d runs: the clients barely posted, the test measured little", len(acked), kills)
	}
	if refusedOrLost < kills {
		t.Errorf("only %d calls lost their answer over %d kills: the kills did not land mid-request", refusedOrLost, kills)
	}
	t.Logf("%d kills: %d calls, %d without an answer (resent), of which %d had committed before the kill; %d messages acknowledged, %d rows stored",
		kills, posted, refusedOrLost, committedUnanswered, len(acked), rows)
}

// storedKillMessages reads from the state store at dsn how many times each
// message id of killSource is stored, and how many rows it has.
func storedKillMessages(t *testing.T, dsn string) (map[string]int, int) {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored, err := db.IngestedMessageIDs(context.Background(), killSource)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM ingest_events WHERE source = $1`, killSource).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	return stored, rows
}

// countCommittedPending counts the pending batches (posted, unanswered)
// that were committed all the same: their resend must store nothing new.
func countCommittedPending(t *testing.T, dsn string, pending [][]string) int {
	t.Helper()
	stored, _ := storedKillMessages(t, dsn)
	n := 0
	for _, ids := range pending {
		if len(ids) > 0 && stored[ids[0]] == 1 {
			n++
		}
	}
	return n
}

// writeKeyFile writes the ingestion API write key key to a file of its own
// and returns its path (--write-key-file).
func writeKeyFile(t *testing.T, key string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "writeKey")
	if err := os.WriteFile(path, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startIngest runs `worker ingest` and waits until it answers /healthz.
func startIngest(t *testing.T, dsn, keyFile, addr string) *exec.Cmd {
	t.Helper()
	return runIngestWorker(t, dsn, keyFile, addr, killSource)
}

// exec0 runs `worker ingest` for source and waits until it answers /healthz.
func runIngestWorker(t *testing.T, dsn, keyFile, addr, source string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(workerBin, "ingest", "--listen="+addr, "--source="+source, "--write-key-file="+keyFile)
	cmd.Env = append(os.Environ(), contract.EnvStateStore+"="+dsn)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	t.Fatalf("ingest worker did not answer on %s: %s", addr, stderr.String())
	return nil
}

// postSpecBatch posts a /v1/batch of track calls as the Segment HTTP
// Tracking API spec writes it and reports whether it was answered 200.
func postSpecBatch(base, key string, ids []string) bool {
	msgs := make([]map[string]any, len(ids))
	for i, id := range ids {
		msgs[i] = map[string]any{"type": "track", "messageId": id, "userId": fmt.Sprint("u", i%17), "event": "cart_updated",
			"properties": map[string]any{"total": i, "sku": "mug"}, "timestamp": time.Now().UTC().Format(time.RFC3339Nano)}
	}
	body, _ := json.Marshal(map[string]any{"batch": msgs, "sentAt": time.Now().UTC().Format(time.RFC3339Nano)})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/batch", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var answer struct {
		Success bool `json:"success"`
	}
	return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&answer) == nil && answer.Success
}
