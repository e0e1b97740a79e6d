package metrics

import (
	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/idset"
)

// buyers are every buyer's purchase days, sorted by id: the order the fit
// sums its likelihoods in, and binary search finds a member's days. The ids
// are an idset (one buffer, not a million strings), so a buyer costs its
// id's bytes and 28 more.
type buyers struct {
	ids    idset.Sorted
	inputs []clv.ScoreInputs
}

func (b *buyers) len() int { return len(b.inputs) }

// index is the index of id, or -1 for a customer who never bought.
func (b *buyers) index(id string) int { return b.ids.Find(id) }

// buyersBuilder collects buyers in any order.
type buyersBuilder struct {
	ids    idset.Builder
	inputs []clv.ScoreInputs
}

func (bb *buyersBuilder) add(id string, in clv.ScoreInputs) {
	bb.ids.AddString(id)
	bb.inputs = append(bb.inputs, in)
}

// sorted are the buyers added, sorted by id.
func (bb *buyersBuilder) sorted() buyers {
	ids, order := bb.ids.Sort()
	out := buyers{ids: ids, inputs: idset.Permute(bb.inputs, order)}
	bb.inputs = nil
	return out
}

// buyersOf are a clv.SummaryBuilder's buyers (files, which the database
// does not aggregate).
func buyersOf(list []clv.Buyer) buyers {
	var bb buyersBuilder
	for _, b := range list {
		bb.add(b.ID, b.ScoreInputs)
	}
	return bb.sorted()
}
