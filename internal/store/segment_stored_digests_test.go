package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// storedDigests finds every member it was given, and no other id, whatever
// order the database returned them in.
func TestStoredDigestsFind(t *testing.T) {
	var read storedDigests
	ids := []string{"c10", "c2", "", "c1", "é", "c100", "C1"}
	for _, i := range rand.Perm(len(ids)) {
		read.ids = append(read.ids, ids[i]...)
		read.ends = append(read.ends, uint32(len(read.ids)))
	}
	s := sortedDigests(&read)
	slices.Sort(ids)
	for i, id := range ids {
		if got := s.find(id); got != i || string(s.key(i)) != id {
			t.Errorf("find(%q) = %d (key %q), want %d", id, got, s.key(i), i)
		}
	}
	for _, id := range []string{"c", "c11", "d", "c1000"} {
		if got := s.find(id); got != -1 {
			t.Errorf("find(%q) = %d, want -1", id, got)
		}
	}
	s.seen[s.find("c2")], s.seen[s.find("")] = true, true
	if got, want := fmt.Sprint(s.unseen()), "[C1 c1 c10 c100 é]"; got != want {
		t.Errorf("unseen %s, want %s", got, want)
	}
}
