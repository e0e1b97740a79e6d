package channel

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskRecipient(t *testing.T) {
	tests := []struct{ in, want string }{
		{"jane@example.com", "j***@example.com"},
		{"j@example.com", "j***@example.com"},
		{"élodie@exemple.fr", "é***@exemple.fr"},
		{"cust-123", "c***"},
		{"", "***"},
		{"@example.com", "***@example.com"},
	}
	for _, tc := range tests {
		if got := MaskRecipient(tc.in); got != tc.want {
			t.Errorf("MaskRecipient(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestConsoleSenderLine(t *testing.T) {
	var buf bytes.Buffer
	s := NewConsoleSender(&buf)
	msg := Message{IdempotencyKey: "wb/1/42", To: "jane@example.com", Subject: "We miss you", Body: "secret offer",
		Metadata: Metadata{Playbook: "winback", Step: "step-1", CustomerID: "cust-42"}}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	want := "[console] to=j***@example.com subject=\"We miss you\" step=step-1 key=wb/1/42\n"
	if got := buf.String(); got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}

func TestMessageLogValueHidesCustomerData(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	msg := Message{IdempotencyKey: "wb/1/k", To: "jane@example.com", Subject: "Hi Jane", Body: "b",
		Metadata: Metadata{Playbook: "winback", Step: "step-1", CustomerID: "cust-42"}}
	log.Info("sent", "msg", msg)
	out := buf.String()
	for _, leak := range []string{"jane", "Jane", "cust-42"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line contains %q: %s", leak, out)
		}
	}
	for _, want := range []string{"msg.idempotency_key=wb/1/k", "msg.playbook=winback", "msg.step=step-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("log line lacks %q: %s", want, out)
		}
	}
}
