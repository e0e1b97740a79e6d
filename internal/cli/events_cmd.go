package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// WriteKeyEnv holds the write key for `retentionctl events send` when no
// --write-key-file is given (a flag value would show in ps and shell history).
const WriteKeyEnv = "RETENTION_WRITE_KEY"

// Bounds of one /v1/batch the command posts: the spec's 500 KB per batch
// (with room for the envelope) and its 32 KB per message.
const (
	eventsBatchBytes   = 450 * 1024
	eventsMessageBytes = 32 * 1024
	eventsBatchCount   = 100
)

type eventsSendOptions struct {
	url, writeKeyFile, file  string
	typ, userID, anonymousID string
	event, name              string
	properties, traits       []string
	timeout                  time.Duration
}

// newEventsCommand is `retentionctl events`.
func newEventsCommand() *cobra.Command {
	return commandGroup("events", "Send test events to a DataSource's ingestion API", newEventsSendCommand())
}

func newEventsSendCommand() *cobra.Command {
	o := &eventsSendOptions{}
	cmd := &cobra.Command{
		Use:   "send --url URL (-f FILE | --user-id ID --event NAME [--property k=v]...)",
		Short: "Post Segment-spec messages (track, identify, page, alias) to an ingestion API",
		Long: `Post messages to an ingestion API (docs/ingestion.md) as /v1/batch calls
of at most 100 messages and 450 KB.

From a file (-f, "-" for stdin): NDJSON, one message per line, or JSON (one
message, an array of messages, or {"batch": [...]}). A message without "type"
is a track. A message without messageId gets one derived from its bytes by
the API, so sending the same file twice stores it once.

From flags: one message of --type (default track) for --user-id or
--anonymous-id, with --event (track), --name (page), --property k=v and
--trait k=v (identify; values that parse as JSON are sent as JSON). It gets a
fresh random messageId, so each run is a new event.

The write key comes from --write-key-file or $` + WriteKeyEnv + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "base URL of the ingestion API, e.g. http://shop-events-ingest.shop:8080 (required)")
	f.StringVar(&o.writeKeyFile, "write-key-file", "", "file holding the write key (default: $"+WriteKeyEnv+")")
	f.StringVarP(&o.file, "file", "f", "", "NDJSON or JSON file of messages (- for stdin)")
	f.StringVar(&o.typ, "type", "track", "message type from flags: track, identify, page or alias")
	f.StringVar(&o.userID, "user-id", "", "userId of the message from flags")
	f.StringVar(&o.anonymousID, "anonymous-id", "", "anonymousId of the message from flags")
	f.StringVar(&o.event, "event", "", "track event name")
	f.StringVar(&o.name, "name", "", "page name")
	f.StringArrayVar(&o.properties, "property", nil, "track/page property k=v (repeatable)")
	f.StringArrayVar(&o.traits, "trait", nil, "identify trait k=v (repeatable)")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of each HTTP call")
	return cmd
}

func (o *eventsSendOptions) run(ctx context.Context, stdin io.Reader, out io.Writer) error {
	if o.url == "" {
		return errors.New("--url is required: the ingestion API's base URL")
	}
	key, err := o.writeKey()
	if err != nil {
		return err
	}
	var msgs []json.RawMessage
	if o.file != "" {
		if msgs, err = o.readFile(stdin); err != nil {
			return err
		}
	} else {
		m, err := o.flagMessage()
		if err != nil {
			return err
		}
		msgs = []json.RawMessage{m}
	}
	s := &batchSender{url: strings.TrimSuffix(o.url, "/") + "/v1/batch", key: key, client: &http.Client{Timeout: o.timeout}}
	sent, batches, err := s.sendAll(ctx, msgs)
	fmt.Fprintf(out, "sent %d of %d messages in %d batches\n", sent, len(msgs), batches)
	return err
}

func (o *eventsSendOptions) writeKey() (string, error) {
	if o.writeKeyFile != "" {
		raw, err := os.ReadFile(o.writeKeyFile)
		if err != nil {
			return "", fmt.Errorf("--write-key-file: %w", err)
		}
		if k := strings.TrimSpace(string(raw)); k != "" {
			return k, nil
		}
		return "", fmt.Errorf("--write-key-file %s is empty", o.writeKeyFile)
	}
	if k := strings.TrimSpace(os.Getenv(WriteKeyEnv)); k != "" {
		return k, nil
	}
	return "", fmt.Errorf("no write key: pass --write-key-file or set $%s", WriteKeyEnv)
}

// readFile reads NDJSON or JSON messages, giving each a type (track) if it
// has none.
func (o *eventsSendOptions) readFile(stdin io.Reader) ([]json.RawMessage, error) {
	in := stdin
	if o.file != "-" {
		f, err := os.Open(o.file)
		if err != nil {
			return nil, fmt.Errorf("-f: %w", err)
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReader(in)
	first, err := firstByte(br)
	if err != nil {
		return nil, fmt.Errorf("-f %s: %w", o.file, err)
	}
	var raws []json.RawMessage
	if first == '[' {
		if err := json.NewDecoder(br).Decode(&raws); err != nil {
			return nil, fmt.Errorf("-f %s: a JSON array of messages: %w", o.file, err)
		}
	} else {
		// NDJSON, or one JSON object (possibly {"batch": [...]}) over several lines.
		dec := json.NewDecoder(br)
		for n := 1; ; n++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err == io.EOF {
				break
			} else if err != nil {
				return nil, fmt.Errorf("-f %s: message %d: %w", o.file, n, err)
			}
			var env struct {
				Batch []json.RawMessage `json:"batch"`
			}
			if json.Unmarshal(raw, &env) == nil && env.Batch != nil {
				raws = append(raws, env.Batch...)
				continue
			}
			raws = append(raws, raw)
		}
	}
	for i, raw := range raws {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("-f %s: message %d: want a JSON object", o.file, i+1)
		}
		if _, ok := m["type"]; !ok {
			m["type"] = json.RawMessage(`"track"`)
			if raws[i], err = json.Marshal(m); err != nil {
				return nil, err
			}
		}
		if len(raws[i]) > eventsMessageBytes {
			return nil, fmt.Errorf("-f %s: message %d is %d bytes, over the spec's 32 KB per message", o.file, i+1, len(raws[i]))
		}
	}
	return raws, nil
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, errors.New("no messages")
			}
			return 0, err
		}
		if b != ' ' && b != '\n' && b != '\r' && b != '\t' {
			return b, br.UnreadByte()
		}
	}
}

// flagMessage builds the one message the flags describe.
func (o *eventsSendOptions) flagMessage() (json.RawMessage, error) {
	if o.userID == "" && o.anonymousID == "" {
		return nil, errors.New("--user-id or --anonymous-id is required (or -f FILE)")
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	m := map[string]any{"type": o.typ, "messageId": "retentionctl-" + hex.EncodeToString(id),
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano)}
	if o.userID != "" {
		m["userId"] = o.userID
	}
	if o.anonymousID != "" {
		m["anonymousId"] = o.anonymousID
	}
	switch o.typ {
	case "track":
		if o.event == "" {
			return nil, errors.New("--event is required for --type track")
		}
		m["event"] = o.event
	case "page":
		m["name"] = o.name
	case "identify", "alias":
	default:
		return nil, fmt.Errorf("--type %q: want track, identify, page or alias", o.typ)
	}
	props, err := keyValues("--property", o.properties)
	if err != nil {
		return nil, err
	}
	traits, err := keyValues("--trait", o.traits)
	if err != nil {
		return nil, err
	}
	if len(props) > 0 {
		m["properties"] = props
	}
	if len(traits) > 0 {
		m["traits"] = traits
	}
	return json.Marshal(m)
}

// keyValues parses k=v flags; a value that is valid JSON (a number, true,
// an object) is sent as that JSON, any other as a string.
func keyValues(flag string, kvs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want key=value", flag, kv)
		}
		var j any
		if json.Unmarshal([]byte(v), &j) == nil {
			out[k] = j
		} else {
			out[k] = v
		}
	}
	return out, nil
}

// batchSender posts messages as /v1/batch calls, resending a call whose
// answer was a 5xx or lost (messageIds make the resend safe).
type batchSender struct {
	url, key string
	client   *http.Client
}

const eventsAttempts = 3

func (s *batchSender) sendAll(ctx context.Context, msgs []json.RawMessage) (sent, batches int, err error) {
	for start := 0; start < len(msgs); {
		end, size := start, 0
		for end < len(msgs) && end-start < eventsBatchCount && size+len(msgs[end]) <= eventsBatchBytes {
			size += len(msgs[end]) + 1
			end++
		}
		if err := s.post(ctx, msgs[start:end]); err != nil {
			return sent, batches, fmt.Errorf("messages %d to %d: %w", start+1, end, err)
		}
		sent += end - start
		batches++
		start = end
	}
	return sent, batches, nil
}

func (s *batchSender) post(ctx context.Context, msgs []json.RawMessage) error {
	body, err := json.Marshal(map[string]any{"batch": msgs, "sentAt": time.Now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(s.key+":"))
	var last error
	for attempt := 0; attempt < eventsAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("--url: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		resp, err := s.client.Do(req)
		if err != nil {
			last = err
			continue
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		var refusal struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(answer, &refusal)
		last = fmt.Errorf("the API answered %s: %s", strconv.Itoa(resp.StatusCode), refusal.Error)
		if resp.StatusCode < 500 {
			return last // a refusal: resending the same batch cannot succeed
		}
	}
	return last
}
