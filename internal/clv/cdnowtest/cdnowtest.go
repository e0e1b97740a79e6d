// Package cdnowtest hands tests the public CDNOW files shipped in
// internal/clv/testdata, so the checks against the published BG/NBD and
// Gamma-Gamma estimates run on every checkout (no download, no variable to
// set). Only _test.go files import it.
package cdnowtest

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Sample is the 1/10 sample of the BG/NBD paper (6,919 orders, 2,357 customers).
const Sample = "CDNOW_sample.txt"

// Master is the full panel (69,659 orders, 23,570 customers); it is shipped
// gzipped (405 KB instead of 1.9 MB) and unpacked per test.
const Master = "CDNOW_master.txt"

// Dir is internal/clv/testdata, found from this file so it works from any
// package's test binary.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Path returns the path of one CDNOW file; a file shipped as name.gz is
// unpacked into the test's temporary directory first. A missing file fails
// the test: the data is part of the repository, so absence is a broken checkout.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	path := filepath.Join(Dir(), name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	gz, err := os.Open(path + ".gz")
	if err != nil {
		tb.Fatalf("CDNOW file %s is missing from %s (part of the repository): %v", name, Dir(), err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		tb.Fatalf("%s.gz: %v", path, err)
	}
	out := filepath.Join(tb.TempDir(), name)
	f, err := os.Create(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, zr); err != nil {
		tb.Fatalf("unpack %s.gz: %v", path, err)
	}
	return out
}
