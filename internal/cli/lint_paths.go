package cli

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// pathSegment is one step of a field path: a map key or a list index.
type pathSegment struct {
	key   string
	index int // -1 for a key
}

// parseFieldPath splits an API field path such as
// spec.steps[2].send.channelRef or spec.headers[X-Key] into segments. A
// bracket holding a number is a list index; anything else is a map key.
func parseFieldPath(p string) []pathSegment {
	var segs []pathSegment
	for len(p) > 0 {
		switch p[0] {
		case '.':
			p = p[1:]
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return segs
			}
			inner := p[1:end]
			if i, err := strconv.Atoi(inner); err == nil {
				segs = append(segs, pathSegment{index: i})
			} else {
				segs = append(segs, pathSegment{key: strings.Trim(inner, `"`), index: -1})
			}
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			segs = append(segs, pathSegment{key: p[:end], index: -1})
			p = p[end:]
		}
	}
	return segs
}

// lineOf returns the line of the deepest node along path that exists: the
// key's line for a map field (so a missing field points at its parent).
func lineOf(root *yaml.Node, path string) int {
	n, line := root, root.Line
	for _, s := range parseFieldPath(path) {
		var next *yaml.Node
		nextLine := 0
		switch {
		case s.index >= 0 && n.Kind == yaml.SequenceNode && s.index < len(n.Content):
			next = n.Content[s.index]
			nextLine = next.Line
		case s.index < 0 && n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == s.key {
					next, nextLine = n.Content[i+1], n.Content[i].Line
					break
				}
			}
		}
		if next == nil {
			return line
		}
		n, line = next, nextLine
	}
	return line
}
