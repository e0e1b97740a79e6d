package datasource

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// rowReader streams one file and hands back, per row, the values of the
// columns it was asked for (in that order) and the row's 1-based line number.
type rowReader interface {
	next() (vals []string, line int, err error)
	close() error
}

// column is one column a reader must find. setting names the Config field that
// chose it, so a missing column error says what to fix.
type column struct {
	name     string
	setting  string
	optional bool
	// When name is empty (the mapping left it unset) the column is found by
	// aliases in a header, or, in a headerless log, by byWidth: the 1-based
	// position for a row of that many fields (the CDNOW layouts).
	aliases []string
	byWidth map[int]int
}

// openRows opens path in the given format, resolving cols against its header.
// Missing optional columns read as "".
func openRows(path, name, root string, format sourceconfig.Format, cols []column) (rowReader, error) {
	f, err := openConfined(name, path, root)
	if err != nil {
		return nil, fmt.Errorf("datasource file: %w", err)
	}
	var r rowReader
	switch format {
	case sourceconfig.FormatNDJSON:
		r, err = newJSONRows(f, name, cols)
	case sourceconfig.FormatTransactions:
		r, err = newLogRows(f, name, cols)
	default:
		r, err = newCSVRows(f, name, cols)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// csvRows reads a CSV file with a header row.
type csvRows struct {
	f    *os.File
	br   *bufio.Reader
	lim  *boundedReader
	r    *csv.Reader
	name string
	cols []column
	idx  []int
	vals []string
	// line is the line of the last record read, for the record-size error.
	line int
}

func newCSVRows(f *os.File, name string, cols []column) (*csvRows, error) {
	lim := newBoundedReader(f)
	br := bufio.NewReaderSize(lim, 1<<16)
	r := csv.NewReader(br) // uses br itself, so br.Buffered() is what csv has not parsed yet
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	c := &csvRows{f: f, br: br, lim: lim, r: r, name: name, cols: cols}
	c.markRecord()
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("datasource file %s: empty file; expected a header row", name)
		}
		return nil, c.readErr(err, "header: ")
	}
	if err := validUTF8(header, nil); err != nil {
		return nil, fmt.Errorf("datasource file %s line 1: header: %w", name, err)
	}
	header = append([]string(nil), header...)
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	idx, err := resolveColumns(name, header, cols, false, len(header))
	if err != nil {
		return nil, err
	}
	c.idx, c.vals, c.line = idx, make([]string, len(cols)), 1
	return c, nil
}

// markRecord tells the bounded reader where the next record starts.
func (c *csvRows) markRecord() {
	c.lim.markRecord(c.lim.total-int64(c.br.Buffered()), c.line+1)
}

// readErr names the file, and the line for an oversized line or record.
func (c *csvRows) readErr(err error, prefix string) error {
	var long *tooLongError
	if errors.As(err, &long) {
		return fmt.Errorf("datasource file %s line %d: %s%s", c.name, long.line, prefix, long)
	}
	// csv.ParseError already says "record on line N".
	return fmt.Errorf("datasource file %s: %s%w", c.name, prefix, err)
}

func (c *csvRows) next() ([]string, int, error) {
	for {
		c.markRecord()
		rec, err := c.r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, 0, io.EOF
			}
			return nil, 0, c.readErr(err, "")
		}
		line, _ := c.r.FieldPos(0)
		c.line = line
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if err := pick(c.vals, rec, c.idx, c.cols); err != nil {
			return nil, line, fmt.Errorf("datasource file %s line %d: %w", c.name, line, err)
		}
		return c.vals, line, nil
	}
}

func (c *csvRows) close() error { return c.f.Close() }

// pick copies the wanted fields of rec into vals (-1 = absent optional
// column), refusing invalid UTF-8: it would reach names, attributes and
// messages garbled, and JSON would silently replace it.
func pick(vals, rec []string, idx []int, cols []column) error {
	for i, j := range idx {
		if j < 0 {
			vals[i] = ""
			continue
		}
		if j >= len(rec) {
			return fmt.Errorf("row has %d fields, column %d is missing", len(rec), j+1)
		}
		vals[i] = strings.TrimSpace(rec[j])
		if !utf8.ValidString(vals[i]) {
			return fmt.Errorf("column %s is not valid UTF-8; re-export the file as UTF-8", cols[i].label())
		}
	}
	return nil
}

// validUTF8 refuses a row with a field that is not UTF-8, naming the field by
// position (or by names[i] when given).
func validUTF8(fields []string, names []string) error {
	for i, f := range fields {
		if !utf8.ValidString(f) {
			if i < len(names) {
				return fmt.Errorf("field %s is not valid UTF-8; re-export the file as UTF-8", names[i])
			}
			return fmt.Errorf("field %d is not valid UTF-8; re-export the file as UTF-8", i+1)
		}
	}
	return nil
}

// label names the column in an error: its configured or default name, else
// the setting that would name it.
func (c column) label() string {
	if c.name != "" {
		return strconv.Quote(c.name)
	}
	return c.setting
}

// resolveColumns maps each wanted column to its header index. When positional
// is set a column may also be a 1-based position ("3").
func resolveColumns(name string, header []string, cols []column, positional bool, width int) ([]int, error) {
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = -1
		names := []string{c.name}
		if c.name == "" {
			names = c.aliases
		}
	find:
		for _, n := range names {
			for j, h := range header {
				if strings.EqualFold(h, n) {
					idx[i] = j
					break find
				}
			}
		}
		if idx[i] < 0 && c.name == "" && header == nil {
			if p, ok := c.byWidth[width]; ok {
				idx[i] = p - 1
			}
		}
		if idx[i] < 0 && c.name == "" && !c.optional {
			if header == nil {
				return nil, fmt.Errorf("datasource file %s: cannot tell which of the %d columns is %s; set it to a 1-based position such as \"3\"", name, width, c.setting)
			}
			return nil, fmt.Errorf("datasource file %s: none of %s found for %s; the header has %s; set %s", name, strings.Join(c.aliases, ","), c.setting, cellList(header), c.setting)
		}
		if idx[i] < 0 && positional {
			if p, err := strconv.Atoi(c.name); err == nil && p >= 1 {
				idx[i] = p - 1
			}
		}
		if idx[i] < 0 && !c.optional {
			if header == nil {
				return nil, fmt.Errorf("datasource file %s: column %q (%s) not found; the file has no header, so give a 1-based position such as \"3\"", name, c.name, c.setting)
			}
			return nil, fmt.Errorf("datasource file %s: column %q (%s) not found; the header has %s", name, c.name, c.setting, cellList(header))
		}
	}
	return idx, nil
}

// jsonRows reads one JSON object per line. Non-string values are returned as
// their JSON text (numbers, objects), null as "".
type jsonRows struct {
	f    *os.File
	sc   *bufio.Scanner
	name string
	cols []column
	vals []string
	line int
	obj  map[string]json.RawMessage
}

func newJSONRows(f *os.File, name string, cols []column) (*jsonRows, error) {
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 1<<16))
	sc.Buffer(make([]byte, 1<<16), maxLineBytes)
	return &jsonRows{f: f, sc: sc, name: name, cols: cols, vals: make([]string, len(cols))}, nil
}

func (j *jsonRows) next() ([]string, int, error) {
	for j.sc.Scan() {
		j.line++
		b := bytes.TrimSpace(j.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if !utf8.Valid(b) {
			return nil, j.line, fmt.Errorf("datasource file %s line %d: not valid UTF-8; re-export the file as UTF-8", j.name, j.line)
		}
		clear(j.obj)
		if err := json.Unmarshal(b, &j.obj); err != nil {
			return nil, j.line, fmt.Errorf("datasource file %s line %d: not a JSON object: %v", j.name, j.line, err)
		}
		for i, c := range j.cols {
			raw, ok := j.obj[c.name]
			if !ok {
				if !c.optional {
					return nil, j.line, fmt.Errorf("datasource file %s line %d: field %q (%s) not found; the object has %s", j.name, j.line, c.name, c.setting, cellList(slices.Sorted(maps.Keys(j.obj))))
				}
				j.vals[i] = ""
				continue
			}
			j.vals[i] = jsonText(raw)
		}
		return j.vals, j.line, nil
	}
	if err := j.sc.Err(); err != nil {
		return nil, j.line + 1, scanErr(j.name, j.line+1, err)
	}
	return nil, 0, io.EOF
}

func (j *jsonRows) close() error { return j.f.Close() }

// scanErr names file and line of a bufio.Scanner failure; a line over
// maxLineBytes is the one a reader can do something about.
func scanErr(name string, line int, err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("datasource file %s line %d: line is longer than %d MiB; split the record or fix the line breaks", name, line, maxLineBytes>>20)
	}
	return fmt.Errorf("datasource file %s line %d: %w", name, line, err)
}

func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// eachRow streams the rows of one file through fn, which gets the mapped
// values and the line number to name in errors.
func (c *fileConnector) eachRow(path, name string, cols []column, fn func(v []string, line int) error) error {
	r, err := openRows(path, name, c.cfg.Root, c.cfg.Format, cols)
	if err != nil {
		return err
	}
	defer r.close()
	for {
		v, line, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(v, line); err != nil {
			return err
		}
	}
}

// from passes on the rows that happened at or after since, and stops when
// ctx ends.
func from[T any](ctx context.Context, since time.Time, at func(*T) time.Time, fn func(*T) error) func(*T) error {
	return func(x *T) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if at(x).Before(since) {
			return nil
		}
		return fn(x)
	}
}
