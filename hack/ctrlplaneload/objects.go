package main

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// The load: one DataSource (PostgreSQL, with a state store, as production
// runs it) and one console Channel, then N Segments and N Playbooks, each
// Playbook sending to its own Segment's entrants. The DSNs are never dialled
// by the manager (it only checks the Secrets' keys).
const prerequisites = `
apiVersion: v1
kind: Secret
metadata: {name: shop-db, namespace: %[1]s}
stringData: {dsn: "postgres://bench@127.0.0.1:1/shop"}
---
apiVersion: v1
kind: Secret
metadata: {name: retention-state, namespace: %[1]s}
stringData: {dsn: "postgres://bench@127.0.0.1:1/state"}
---
apiVersion: retention.dev/v1alpha1
kind: DataSource
metadata: {name: shop, namespace: %[1]s}
spec:
  postgres:
    dsnSecretRef: {name: shop-db, key: dsn}
  stateStore:
    dsnSecretRef: {name: retention-state, key: dsn}
---
apiVersion: retention.dev/v1alpha1
kind: Channel
metadata: {name: email, namespace: %[1]s}
spec:
  console: {}
`

const segmentYAML = `
apiVersion: retention.dev/v1alpha1
kind: Segment
metadata: {name: seg-%[2]d, namespace: %[1]s}
spec:
  dataSourceRef: {name: shop}
  criteria: customer.frequency >= %[3]d && customer.recencyDays > 60.0
  metrics: [churnRate, repeatPurchaseRate]
`

const playbookYAML = `
apiVersion: retention.dev/v1alpha1
kind: Playbook
metadata: {name: pb-%[2]d, namespace: %[1]s}
spec:
  segmentRef: {name: seg-%[2]d}
  trigger: {segmentEntry: {}}
  steps:
    - name: hello
      send:
        channelRef: {name: email}
        template: {subject: "We miss you", body: "Come back for 15%% off."}
    - name: wait
      wait: {duration: 5d}
  holdoutPercent: 10
`

// documents splits a multi-document YAML into objects.
func documents(text string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, doc := range splitYAML(text) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return nil, fmt.Errorf("decode %q: %w", doc, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
	return out, nil
}

func object(format, namespace string, i int) *unstructured.Unstructured {
	objs, err := documents(fmt.Sprintf(format, namespace, i, 1+i%5))
	if err != nil || len(objs) != 1 {
		panic(fmt.Sprintf("bench object template: %v", err))
	}
	return objs[0]
}

func splitYAML(text string) []string {
	var docs []string
	start := 0
	for i := 0; i+4 <= len(text); i++ {
		if text[i:i+4] == "\n---" {
			docs = append(docs, text[start:i])
			start = i + 4
		}
	}
	return append(docs, text[start:])
}
