package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// document is one YAML document of a linted file: its node tree (for line
// numbers) and the same content as JSON-shaped values (for validation).
type document struct {
	file string
	// line of the document's first key, for problems that have no field.
	line int
	root *yaml.Node // the mapping node at the top of the document
	obj  map[string]any

	apiVersion, kind, name, namespace string
}

// id is "kind/name" as in kubectl output.
func (d *document) id() string { return d.kind + "/" + d.name }

// yamlFiles expands the arguments into the YAML files to lint: files as
// given, directories walked recursively for *.yaml and *.yml.
func yamlFiles(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		if arg == "-" {
			out = append(out, arg) // standard input, e.g. kustomize build | retentionctl lint -
			continue
		}
		st, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, arg)
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseDocuments splits a multi-document YAML file into documents. A syntax
// error is returned as a problem with the line the parser reports.
func parseDocuments(file string, data []byte) ([]*document, []problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*document
	var probs []problem
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			probs = append(probs, syntaxProblem(file, data, err))
			break
		}
		if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // empty document, e.g. a trailing ---
		}
		if root.Kind != yaml.MappingNode {
			probs = append(probs, problem{File: file, Line: root.Line, Message: "document is not a mapping (an object with apiVersion and kind)"})
			continue
		}
		obj, err := nodeToObject(root)
		if err != nil {
			probs = append(probs, problem{File: file, Line: root.Line, Message: err.Error()})
			continue
		}
		d := &document{file: file, line: root.Line, root: root, obj: obj}
		d.apiVersion, _ = obj["apiVersion"].(string)
		d.kind, _ = obj["kind"].(string)
		if md, ok := obj["metadata"].(map[string]any); ok {
			d.name, _ = md["name"].(string)
			d.namespace, _ = md["namespace"].(string)
		}
		docs = append(docs, d)
	}
	return docs, probs
}

// nodeToObject converts a node to the map[string]any the API server would
// decode: it re-encodes the node and reads it back with sigs.k8s.io/yaml (as
// kubectl does), so numbers become int64/float64 exactly as on the server.
func nodeToObject(n *yaml.Node) (map[string]any, error) {
	raw, err := yaml.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("re-encoding document: %v", err)
	}
	js, err := sigsyaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("converting document to JSON: %v", err)
	}
	var obj map[string]any
	if err := k8sjson.Unmarshal(js, &obj); err != nil {
		return nil, fmt.Errorf("decoding document: %v", err)
	}
	return obj, nil
}

// yamlErrorLine pulls "line N" out of a yaml.v3 error message (0 if absent).
func yamlErrorLine(err error) int {
	msg := err.Error()
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range msg[i+5:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
