// Package idset keeps many short ids (customer ids, a million at a metric
// run) back to back in one buffer, sorted in byte order for binary search.
// An id costs its bytes and a 4-byte offset, where a string in a slice or
// map costs a 16-byte header and an allocation of its own besides.
package idset

import (
	"bytes"
	"slices"
)

// Sorted is a set of ids in byte order; index i names the i-th.
type Sorted struct {
	ids  []byte
	ends []uint32 // id i is ids[ends[i-1]:ends[i]] (from 0 for i = 0)
}

// Len is the number of ids.
func (s *Sorted) Len() int { return len(s.ends) }

// Key is id i's bytes, valid as long as s.
func (s *Sorted) Key(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.ids[start:s.ends[i]]
}

// ID is id i as a string (a copy).
func (s *Sorted) ID(i int) string { return string(s.Key(i)) }

// Find is the index of id, or -1.
func (s *Sorted) Find(id string) int {
	lo, hi := 0, s.Len()
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if string(s.Key(mid)) < id { // compared in place, no allocation
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < s.Len() && string(s.Key(lo)) == id {
		return lo
	}
	return -1
}

// Builder collects ids in any order.
type Builder struct{ s Sorted }

// Add appends id (copied).
func (b *Builder) Add(id []byte) {
	b.s.ids = append(b.s.ids, id...)
	b.s.ends = append(b.s.ends, uint32(len(b.s.ids)))
}

// AddString appends id.
func (b *Builder) AddString(id string) {
	b.s.ids = append(b.s.ids, id...)
	b.s.ends = append(b.s.ends, uint32(len(b.s.ids)))
}

// Sort returns the ids in byte order, and order, where order[k] is the
// position in which the k-th of them was added (to put values kept beside
// the ids into the same order). The builder is empty afterwards.
func (b *Builder) Sort() (Sorted, []int32) {
	added := b.s
	b.s = Sorted{}
	order := make([]int32, added.Len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return bytes.Compare(added.Key(int(x)), added.Key(int(y))) })
	out := Sorted{ids: make([]byte, 0, len(added.ids)), ends: make([]uint32, 0, len(order))}
	for _, i := range order {
		out.ids = append(out.ids, added.Key(int(i))...)
		out.ends = append(out.ends, uint32(len(out.ids)))
	}
	return out, order
}

// Permute puts values, kept in the order their ids were added, into the
// ids' sorted order (Builder.Sort's order).
func Permute[T any](values []T, order []int32) []T {
	out := make([]T, len(order))
	for k, i := range order {
		out[k] = values[i]
	}
	return out
}
