package report

import (
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// Variant is one send-step variant's figures, as the campaign worker
// computes them (rates as fractions in [0, 1]; the controller formats them).
type Variant = journey.VariantFigures

// VariantWinner is the variant a step sends to everyone: pinned in the spec
// or promoted by the worker at PromotedAt.
type VariantWinner struct {
	Step       string     `json:"step"`
	Variant    string     `json:"variant"`
	Pinned     bool       `json:"pinned,omitempty"`
	PromotedAt *time.Time `json:"promotedAt,omitempty"`
}
