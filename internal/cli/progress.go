package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line bar on stderr for work that takes longer than a
// second. It draws nothing for fast work (so short runs and CI logs stay
// clean) and nothing when stderr is not a terminal.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	label  string
	total  int // 0 when unknown: a counter instead of a bar
	done   int
	start  time.Time
	drawn  bool
	stop   chan struct{}
	closed sync.Once
	wg     sync.WaitGroup
}

// progressDelay is how long work runs before the bar appears.
const progressDelay = time.Second

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), stop: make(chan struct{})}
	if !isTerminal(w) {
		return p
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) loop() {
	defer p.wg.Done()
	select {
	case <-time.After(progressDelay):
	case <-p.stop:
		return
	}
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		p.draw()
		select {
		case <-t.C:
		case <-p.stop:
			return
		}
	}
}

// Set records how many units are done.
func (p *progress) Set(done int) {
	p.mu.Lock()
	p.done = done
	p.mu.Unlock()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r"+progressLine(p.label, p.done, p.total, time.Since(p.start)))
	p.drawn = true
}

// progressLine renders "label [#####.....]  12/40  3s" (or a counter when
// the total is unknown), 60 columns at most.
func progressLine(label string, done, total int, elapsed time.Duration) string {
	secs := elapsed.Round(time.Second)
	if total <= 0 {
		return fmt.Sprintf("%s %d  %s", label, done, secs)
	}
	if done > total {
		done = total
	}
	const width = 30
	filled := done * width / total
	return fmt.Sprintf("%s [%s%s] %d/%d  %s", label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, secs)
}

// Done stops the bar and clears its line.
func (p *progress) Done() {
	p.closed.Do(func() { close(p.stop) })
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
