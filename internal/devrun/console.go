package devrun

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// consolePrefix starts every line the console channel prints (internal/channel.ConsoleSender).
const consolePrefix = "[console] "

// consoleLine is one message sent through a console Channel.
type consoleLine struct {
	Owner string // the Playbook whose campaign worker sent it
	Text  string
}

// consoleLog collects console channel messages from every worker: each is
// echoed to the terminal at once (prefixed with its Playbook), appended to
// logs/console.log, and kept in a short ring for the live view.
type consoleLog struct {
	out  *syncWriter
	file io.WriteCloser

	mu     sync.Mutex
	recent []consoleLine
	total  int
	echo   bool
}

const recentConsoleLines = 6

func newConsoleLog(out *syncWriter, path string) (*consoleLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &consoleLog{out: out, file: f, echo: true}, nil
}

func (c *consoleLog) add(owner, text string) {
	line := fmt.Sprintf("%s | %s\n", owner, text)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total++
	c.recent = append(c.recent, consoleLine{owner, text})
	if len(c.recent) > recentConsoleLines {
		c.recent = c.recent[len(c.recent)-recentConsoleLines:]
	}
	_, _ = io.WriteString(c.file, line)
	// Echoed under the lock, so once quiet returns no message is still on
	// its way to the terminal.
	if c.echo {
		_, _ = io.WriteString(c.out, line)
	}
}

// quiet stops the terminal echo; messages still go to logs/console.log.
// `dev --once` calls it before its final table, so that table is the last
// thing a reader (or a script) finds, not a message sent a moment later.
func (c *consoleLog) quiet() {
	c.mu.Lock()
	c.echo = false
	c.mu.Unlock()
}

// snapshot returns the last few messages and the count so far.
func (c *consoleLog) snapshot() ([]consoleLine, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]consoleLine(nil), c.recent...), c.total
}

func (c *consoleLog) close() error { return c.file.Close() }

// syncWriter serializes writers to the terminal (console echo and the view).
// Once a write fails (the reader of a pipe is gone: Ctrl-C also stopped
// `tee`), later output is dropped rather than retried: the run must go on
// stopping workers, manager and control plane, and every line it would have
// shown is also in WorkDir/logs.
type syncWriter struct {
	mu     sync.Mutex
	w      io.Writer
	broken bool
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return len(b), nil
	}
	if _, err := s.w.Write(b); err != nil {
		s.broken = true
	}
	return len(b), nil
}
