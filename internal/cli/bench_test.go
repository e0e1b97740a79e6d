package cli

import (
	"context"
	"testing"
)

// BenchmarkLintSamples lints every shipped sample (8 files, 26 objects):
// CRD schemas and CEL rules, criteria, journeys, references. The CRDs are
// loaded once, as in one `retentionctl lint` run.
func BenchmarkLintSamples(b *testing.B) {
	files, err := yamlFiles([]string{"../../config/samples"})
	if err != nil {
		b.Fatal(err)
	}
	schemas, err := loadSchemas()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l := &linter{schemas: schemas}
		if probs := l.lintFiles(context.Background(), files, nil); countErrors(probs) != 0 {
			b.Fatal(probs)
		}
	}
}

// BenchmarkLoadSchemas is the start-up cost of lint: decoding the five
// embedded CRDs and compiling their CEL rules.
func BenchmarkLoadSchemas(b *testing.B) {
	for b.Loop() {
		if _, err := loadSchemas(); err != nil {
			b.Fatal(err)
		}
	}
}
