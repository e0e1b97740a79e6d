// Package crd embeds the generated CustomResourceDefinitions so offline tools
// (retentionctl lint) validate objects against exactly the schemas and CEL
// rules the API server will enforce.
package crd

import "embed"

// Bases holds config/crd/bases/*.yaml, one CRD per file.
//
//go:embed bases/*.yaml
var Bases embed.FS
