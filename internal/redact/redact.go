package redact

import (
	"os"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxLen bounds a redacted message in bytes: status conditions and Events are
// read by people, and an unbounded error (a whole file quoted by a parser)
// would also bloat the object in etcd.
const MaxLen = 1024

// Placeholders that replace what was cut out; they say what kind of value
// was there, so the message stays useful.
const (
	Secret = "[redacted]"
	Email  = "[email]"
	Phone  = "[phone]"
)

// SecretEnv names the environment variables whose values come from tenant
// Secrets (the controller fills them from secretKeyRefs). Their exact values
// are cut out of every message, even when no pattern would recognise them
// (a DSN that is not a URL, a bare password). The names are literal rather
// than imported from contract so this leaf package has no dependencies;
// TestSecretEnvMatchesWorkerConfig keeps them in step.
var SecretEnv = []string{"RETENTION_DATASOURCE_DSN", "RETENTION_STATE_STORE"}

// minSecretLen keeps short environment values (an empty variable,
// "sqlite:") from shredding ordinary words out of every message. A caller's
// explicit secrets (a password it holds) are cut from minExplicitLen: a
// shorter one would cut single letters, and is no secret worth the name.
const (
	minSecretLen   = 6
	minExplicitLen = 3
)

var (
	// scheme://user:password@host -> scheme://[redacted]@host
	urlUserinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@"']*@`)
	// password=..., pwd:..., token=..., secret=... (DSN keywords, query
	// parameters, log fields). A colon counts only when the value follows it
	// directly, so prose such as "token: file not found" stays.
	keyValue = regexp.MustCompile(`(?i)\b(password|passwd|pwd|pass|secret|token|api[_-]?key|access[_-]?key|sslpassword)(\s*=\s*|:)("[^"]*"|'[^']*'|[^\s&;,]+)`)
	// NAME=value as in an environment dump (upper-case names, as environment
	// variables are by convention).
	envAssign = regexp.MustCompile(`\b([A-Z][A-Z0-9_]{1,})=("[^"]*"|[^\s]*)`)
	email     = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// International numbers (a leading +) or long digit groups separated the
	// way phone numbers are written. Dates (2024-01-02) and line numbers are
	// too short to match.
	phone = regexp.MustCompile(`\+\d[\d ().\-]{6,}\d|\(?\b\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}\b`)
)

// Error is Message(err.Error()); nil gives "".
func Error(err error, secrets ...string) string {
	if err == nil {
		return ""
	}
	return Message(err.Error(), secrets...)
}

// Message returns s fit for status, events, reports and info logs: the given
// secrets and the values of SecretEnv cut out, then credentials, environment
// assignments, email addresses and phone numbers replaced by placeholders,
// control bytes and invalid UTF-8 dropped, and the result cut to MaxLen.
func Message(s string, secrets ...string) string {
	for _, v := range secretEnvValues() {
		s = cutValue(s, v, minSecretLen)
	}
	for _, v := range secrets {
		s = cutValue(s, v, minExplicitLen)
	}
	s = strings.ToValidUTF8(s, "")
	s = stripControl(s)
	s = urlUserinfo.ReplaceAllString(s, "${1}"+Secret+"@")
	s = keyValue.ReplaceAllString(s, "${1}${2}"+Secret)
	s = envAssign.ReplaceAllString(s, "${1}="+Secret)
	s = email.ReplaceAllString(s, Email)
	s = phone.ReplaceAllString(s, Phone)
	return truncate(s, MaxLen)
}

func secretEnvValues() []string {
	var out []string
	for _, name := range SecretEnv {
		if v := os.Getenv(name); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// cutValue removes every occurrence of v from s, and of the passwords inside
// it (a driver may quote the password alone).
func cutValue(s, v string, minLen int) string {
	v = strings.TrimSpace(v)
	if len(v) < minLen {
		return s
	}
	s = strings.ReplaceAll(s, v, Secret)
	for _, pw := range passwords(v) {
		if len(pw) >= minExplicitLen {
			s = strings.ReplaceAll(s, pw, Secret)
		}
	}
	return s
}

// passwords are the credentials inside a connection string: the password of
// a URL and the values of password-like keywords (host=... password=...).
func passwords(v string) []string {
	var out []string
	if pw := urlPassword(v); pw != "" {
		out = append(out, pw)
	}
	for _, m := range keyValue.FindAllStringSubmatch(v, -1) {
		out = append(out, strings.Trim(m[3], `"'`))
	}
	return out
}

// urlPassword is the password of scheme://user:password@host, or "".
func urlPassword(v string) string {
	_, rest, ok := strings.Cut(v, "://")
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pw
}

// stripControl replaces control characters (NUL separates /proc/*/environ
// entries) with a space, keeping tabs and newlines.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = " …(truncated)"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
