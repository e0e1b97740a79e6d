package channel

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// TestSenderRefusesMetadataTargets: the sender refuses to be built for a
// metadata URL, and a name that resolves to a refused address is refused at
// dial time (DNS rebinding cannot bypass the check on the URL).
func TestSenderRefusesMetadataTargets(t *testing.T) {
	if _, err := NewWebhookSender(senderconfig.WebhookConfig{URL: "http://169.254.169.254/latest/meta-data/", AllowLoopback: true}, testSecret); err == nil {
		t.Fatal("a sender for the metadata address was built")
	}

	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits++ }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// "localhost" passes the URL check only with AllowLoopback; a hostname
	// the check cannot judge (it resolves later) is the rebinding case:
	// the dial guard sees the resolved loopback address and refuses it.
	w, err := NewWebhookSender(senderconfig.WebhookConfig{URL: "http://rebind.test:" + port + "/hook"}, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	w.client.Transport.(*http.Transport).DialContext = rebindingDial(w.client.Transport.(*http.Transport).DialContext, "127.0.0.1")
	err = w.Send(context.Background(), Message{IdempotencyKey: "k1", To: "c1", Body: "hi"})
	if err == nil || !strings.Contains(err.Error(), "loopback") || hits != 0 {
		t.Errorf("Send to a name resolving to loopback: err %v, receiver hits %d; want refused at dial", err, hits)
	}
	var chErr *Error
	if !errors.As(err, &chErr) {
		t.Errorf("error %T is not a channel error", err)
	}

	// With AllowLoopback the same resolved address is reached.
	w, err = NewWebhookSender(senderconfig.WebhookConfig{URL: "http://rebind.test:" + port + "/hook", AllowLoopback: true}, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	w.client.Transport.(*http.Transport).DialContext = rebindingDial(w.client.Transport.(*http.Transport).DialContext, "127.0.0.1")
	if err := w.Send(context.Background(), Message{IdempotencyKey: "k2", To: "c1", Body: "hi"}); err != nil || hits != 1 {
		t.Errorf("Send with AllowLoopback: err %v, hits %d; want delivered", err, hits)
	}
}

// rebindingDial stands in for a DNS answer: it dials ip instead of the
// name, through the sender's own dialer (and so its guard).
func rebindingDial(dial func(ctx context.Context, network, addr string) (net.Conn, error), ip string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		return dial(ctx, network, net.JoinHostPort(ip, port))
	}
}
