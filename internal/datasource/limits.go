package datasource

import (
	"bytes"
	"fmt"
	"io"
)

// Size bounds of a data file's pieces. Readers buffer a line (NDJSON,
// transaction logs) or a record (CSV) whole, so without a bound one 100 MB
// field costs close to a gigabyte of memory before any check runs. Real rows
// are far below these.
const (
	maxLineBytes   = 4 << 20 // one line of any format
	maxRecordBytes = 8 << 20 // one CSV record, which quoted newlines may spread over lines
)

// tooLongError is returned by boundedReader; the readers turn it into the
// file:line message.
type tooLongError struct {
	line  int // 1-based line where the oversized stretch began
	limit int
	what  string // "line" or "record"
}

func (e *tooLongError) Error() string {
	return fmt.Sprintf("%s starting on line %d is longer than %d MiB; split the field or fix the quoting", e.what, e.line, e.limit>>20)
}

// boundedReader passes a file through and fails, before the bytes reach a
// parser's buffer, once a line exceeds maxLine bytes or, when a record start
// is marked, a record exceeds maxRecord bytes. It counts lines itself, so the
// error names the line however far the parser has buffered ahead.
type boundedReader struct {
	r         io.Reader
	maxLine   int
	maxRecord int64

	line    int   // lines started so far (1-based line of the next byte)
	lineLen int   // bytes since the last newline
	total   int64 // bytes passed on

	// recordStart and recordLine locate the record the parser is reading
	// (see markRecord); recordStart < 0 disables the record bound.
	recordStart int64
	recordLine  int
}

func newBoundedReader(r io.Reader) *boundedReader {
	return &boundedReader{r: r, maxLine: maxLineBytes, maxRecord: maxRecordBytes, line: 1, recordStart: -1}
}

func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	chunk := p[:n]
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		seg := len(chunk)
		if i >= 0 {
			seg = i
		}
		if b.lineLen+seg > b.maxLine {
			return 0, &tooLongError{line: b.line, limit: b.maxLine, what: "line"}
		}
		if i < 0 {
			b.lineLen += seg
			break
		}
		b.lineLen = 0
		b.line++
		chunk = chunk[i+1:]
	}
	b.total += int64(n)
	if b.recordStart >= 0 && b.total-b.recordStart > b.maxRecord {
		return 0, &tooLongError{line: b.recordLine, limit: int(b.maxRecord), what: "record"}
	}
	return n, err
}

// markRecord says the parser starts a record at byte offset off (the bytes
// passed on minus what its buffer still holds), on line line.
func (b *boundedReader) markRecord(off int64, line int) {
	b.recordStart, b.recordLine = off, line
}
