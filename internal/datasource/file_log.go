package datasource

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// logRows reads a transaction log: comma-separated when the first line has a
// comma, otherwise whitespace-separated (the CDNOW files). The first line is a
// header when none of its fields is a number.
type logRows struct {
	f     *os.File
	sc    *bufio.Scanner
	name  string
	comma bool
	cols  []column
	idx   []int
	vals  []string
	line  int
	// pending holds the first line when it was data, not a header.
	pending string
}

func newLogRows(f *os.File, name string, cols []column) (*logRows, error) {
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 1<<16))
	sc.Buffer(make([]byte, 1<<16), maxLineBytes)
	l := &logRows{f: f, sc: sc, name: name, cols: cols, vals: make([]string, len(cols))}
	var first string
	for sc.Scan() {
		l.line++
		if first = strings.TrimSpace(sc.Text()); first != "" {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, scanErr(name, l.line+1, err)
	}
	if first == "" {
		return nil, fmt.Errorf("datasource file %s: empty transaction log", name)
	}
	l.comma = strings.Contains(first, ",")
	fields := l.split(first)
	if err := validUTF8(fields, nil); err != nil {
		return nil, fmt.Errorf("datasource file %s line %d: %w", name, l.line, err)
	}
	var header []string
	if !anyNumber(fields) {
		header = fields
	} else {
		l.pending = first
	}
	idx, err := resolveColumns(name, header, cols, true, len(fields))
	if err != nil {
		return nil, err
	}
	l.idx = idx
	return l, nil
}

func (l *logRows) split(s string) []string {
	if l.comma {
		parts := strings.Split(s, ",")
		for i := range parts {
			parts[i] = strings.Trim(strings.TrimSpace(parts[i]), `"`)
		}
		return parts
	}
	return strings.Fields(s)
}

func anyNumber(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(f, 64); err == nil {
			return true
		}
	}
	return false
}

func (l *logRows) next() ([]string, int, error) {
	if l.pending != "" {
		s := l.pending
		l.pending = ""
		return l.row(s, l.line)
	}
	for l.sc.Scan() {
		l.line++
		s := strings.TrimSpace(l.sc.Text())
		if s == "" {
			continue
		}
		return l.row(s, l.line)
	}
	if err := l.sc.Err(); err != nil {
		return nil, l.line + 1, scanErr(l.name, l.line+1, err)
	}
	return nil, 0, io.EOF
}

func (l *logRows) row(s string, line int) ([]string, int, error) {
	if err := pick(l.vals, l.split(s), l.idx, l.cols); err != nil {
		return nil, line, fmt.Errorf("datasource file %s line %d: %w", l.name, line, err)
	}
	return l.vals, line, nil
}

func (l *logRows) close() error { return l.f.Close() }
