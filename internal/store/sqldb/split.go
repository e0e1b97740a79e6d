package sqldb

import "strings"

// splitStatements splits a migration step on ";\n" (not inside strings: keep
// semicolons out of migration literals) and drops empty parts.
func splitStatements(step string) []string {
	var out []string
	for _, part := range strings.Split(step, ";\n") {
		if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), ";")); s != "" {
			out = append(out, s)
		}
	}
	return out
}
