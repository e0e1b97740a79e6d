package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestLintSchemaAgreesWithAPIServer submits every retention.dev object of
// the lint cases and the samples to a real API server (dry run, strict field
// validation) and checks that lint's schema and CEL-rule check rejects
// exactly the objects the server rejects.
func TestLintSchemaAgreesWithAPIServer(t *testing.T) {
	c, _ := apiServer(t)
	ctx := context.Background()
	ensureNamespace(t, c, "shop")
	schemas, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	var docs []*document
	for _, tc := range lintCases {
		d, probs := parseDocuments(tc.name, []byte(tc.body))
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		docs = append(docs, d...)
	}
	files, err := yamlFiles([]string{"../../config/samples"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := parseDocuments(f, raw)
		docs = append(docs, d...)
	}
	rejected := 0
	for _, d := range docs {
		if !strings.HasPrefix(d.apiVersion, "retention.dev/") {
			continue
		}
		u := &unstructured.Unstructured{Object: deepCopyJSON(d.obj)}
		u.SetNamespace("shop")
		serverErr := c.Create(ctx, u, client.DryRunAll, client.FieldValidation("Strict"))
		lintErrs := schemas[d.apiVersion+"/"+d.kind].validate(ctx, d.obj)
		if (serverErr != nil) != (len(lintErrs) > 0) {
			t.Errorf("%s %s: API server says %v; lint's schema check says %v", d.file, d.id(), serverErr, lintErrs)
		}
		if serverErr != nil {
			rejected++
			t.Logf("%s %s: both reject: %v", d.file, d.id(), serverErr)
		}
	}
	// holdoutPercent, tiers, two actions, branch, waitFor target, two
	// kinds, unknown field, wait duration.
	if rejected != 8 {
		t.Errorf("the API server rejected %d objects, want 8", rejected)
	}
}
