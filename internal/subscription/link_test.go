package subscription

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

var testKey = bytes.Repeat([]byte("k"), 32)

func TestTokenRoundTrip(t *testing.T) {
	s, err := NewSigner(testKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []Subject{
		{CustomerID: "c-1", ChannelKind: "email", Topic: "newsletter"},
		{CustomerID: "id with spaces/and?query&ü", ChannelKind: "webhook", Topic: "offers"},
		{CustomerID: "a\x00b", ChannelKind: "email", Topic: "service"},
	} {
		got, err := s.Parse(s.Token(sub))
		if err != nil || got != sub {
			t.Errorf("Parse(Token(%q)) = %+v, %v", sub, got, err)
		}
	}
}

// Every way of reaching another customer, topic or kind without the key is
// refused: a token made for one subject never parses as another, and any
// edit of the payload or signature breaks it.
func TestTokenCannotBeAltered(t *testing.T) {
	s, _ := NewSigner(testKey)
	other, _ := NewSigner(bytes.Repeat([]byte("x"), 32))
	sub := Subject{CustomerID: "c-1", ChannelKind: "email", Topic: "offers"}
	tok := s.Token(sub)
	version, rest, _ := strings.Cut(tok, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	otherPayload := strings.Split(s.Token(Subject{CustomerID: "c-2", ChannelKind: "email", Topic: "offers"}), ".")[1]
	otherTopic := strings.Split(s.Token(Subject{CustomerID: "c-1", ChannelKind: "email", Topic: "newsletter"}), ".")[1]
	cases := map[string]string{
		"other customer, same signature": version + "." + otherPayload + "." + sig,
		"other topic, same signature":    version + "." + otherTopic + "." + sig,
		"signed with another key":        other.Token(sub),
		"signature cut short":            tok[:len(tok)-2],
		"signature flipped":              version + "." + payload + "." + flip(sig),
		"payload flipped":                version + "." + flip(payload) + "." + sig,
		"other version":                  "v2." + payload + "." + sig,
		"no signature":                   version + "." + payload,
		"empty":                          "",
		"too long":                       strings.Repeat("a", MaxTokenLength+1),
	}
	for name, bad := range cases {
		if got, err := s.Parse(bad); !errors.Is(err, ErrBadLink) {
			t.Errorf("%s: Parse = %+v, %v; want ErrBadLink", name, got, err)
		}
	}
}

func TestSignerRefusesShortKeys(t *testing.T) {
	_, err := NewSigner([]byte("short"))
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Length != 5 || strings.Contains(err.Error(), "short") {
		t.Fatalf("NewSigner(short) = %v; want a KeyError that names the length and not the key", err)
	}
}

func TestLinksLeaveTransactionalTopicsOut(t *testing.T) {
	l, err := NewLinker(Config{PublicURL: "https://prefs.shop.example/", Mailto: "unsubscribe@shop.example",
		Topics: []Topic{{Name: "service", Transactional: true}}}, testKey)
	if err != nil {
		t.Fatal(err)
	}
	got := l.Links(Subject{CustomerID: "c", ChannelKind: "email", Topic: "offers"})
	if !strings.HasPrefix(got.Unsubscribe, "https://prefs.shop.example/unsubscribe/v1.") ||
		!strings.HasPrefix(got.Preferences, "https://prefs.shop.example/preferences/v1.") ||
		!strings.HasPrefix(got.Mailto, "mailto:unsubscribe@shop.example?subject=unsubscribe%20v1.") {
		t.Fatalf("links = %+v", got)
	}
	tx := l.Links(Subject{CustomerID: "c", ChannelKind: "email", Topic: "service"})
	if tx.Unsubscribe != "" || tx.Mailto != "" || tx.Preferences == "" {
		t.Fatalf("transactional links = %+v; want the preference page only", tx)
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	for _, bad := range []Config{
		{PublicURL: "ftp://x"}, {PublicURL: "http://prefs.shop.example"}, {PublicURL: "https://x/?a=b"},
		{PublicURL: "https://x", Mailto: "a@b>, <https://evil"}, {PublicURL: "relative/path"},
	} {
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "spec.preferences.") {
			t.Errorf("Validate(%+v) = %v; want an error naming spec.preferences", bad, err)
		}
	}
	if err := (&Config{PublicURL: "http://127.0.0.1:8080"}).Validate(); err != nil {
		t.Errorf("loopback http refused: %v", err)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// FuzzParse: no input panics, and whatever parses re-signs to itself (the
// parser accepts only what Token produced).
func FuzzParse(f *testing.F) {
	s, _ := NewSigner(testKey)
	f.Add(s.Token(Subject{CustomerID: "c-1", ChannelKind: "email", Topic: "offers"}))
	f.Add("v1..")
	f.Add("v1.AAAA.BBBB")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		sub, err := s.Parse(tok)
		if err != nil {
			return
		}
		if s.Token(sub) != tok {
			t.Fatalf("Parse(%q) = %+v, which signs to %q", tok, sub, s.Token(sub))
		}
	})
}
