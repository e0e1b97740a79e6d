package devrun

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConsoleQuietKeepsTheLog: after quiet (dev --once, before its final
// table) a message no longer reaches the terminal but is still in
// logs/console.log and counted.
func TestConsoleQuietKeepsTheLog(t *testing.T) {
	var term bytes.Buffer
	path := filepath.Join(t.TempDir(), "console.log")
	c, err := newConsoleLog(&syncWriter{w: &term}, path)
	if err != nil {
		t.Fatal(err)
	}
	c.add("winback", "[console] to=j***@example.com subject=\"before\"")
	c.quiet()
	c.add("winback", "[console] to=j***@example.com subject=\"after\"")
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	if got := term.String(); !strings.Contains(got, "before") || strings.Contains(got, "after") {
		t.Fatalf("terminal got %q, want the first message only", got)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(file), "winback | "); n != 2 {
		t.Fatalf("console.log has %d messages, want 2:\n%s", n, file)
	}
	if _, total := c.snapshot(); total != 2 {
		t.Fatalf("total %d, want 2", total)
	}
}
