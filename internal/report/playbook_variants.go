package report

import "time"

// Variant is one send-step variant's figures (rates as fractions in [0, 1]).
type Variant struct {
	Step                string  `json:"step"`
	Name                string  `json:"name"`
	Sends               int64   `json:"sends"`
	Conversions         int64   `json:"conversions"`
	Rate                float64 `json:"rate"`
	Low                 float64 `json:"low"`
	High                float64 `json:"high"`
	ProbabilityToBeBest float64 `json:"probabilityToBeBest"`
}

// VariantWinner is the variant a step sends to everyone: pinned in the spec
// or promoted by the worker at PromotedAt.
type VariantWinner struct {
	Step       string     `json:"step"`
	Variant    string     `json:"variant"`
	Pinned     bool       `json:"pinned,omitempty"`
	PromotedAt *time.Time `json:"promotedAt,omitempty"`
}
