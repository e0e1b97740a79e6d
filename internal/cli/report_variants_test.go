package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// `report playbook` prints the variant figures from status, with the
// step's winner marked.
func TestReportPlaybookPrintsVariants(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	rep := playbookReport{Name: "shop/ab", Steps: []string{"offer"}, Status: v1alpha1.PlaybookStatus{
		Enrolled: 450, Sent: 400,
		Variants: []v1alpha1.VariantStatus{
			{Step: "offer", Name: "plain", Sends: 200, Conversions: 40, ConversionRate: "20.00%", Interval: "[15.05%, 26.09%]", ProbabilityToBeBest: "0.0106"},
			{Step: "offer", Name: "discount", Sends: 200, Conversions: 60, ConversionRate: "30.00%", Interval: "[24.07%, 36.68%]", ProbabilityToBeBest: "0.9894"},
			{Step: "later", Name: "a", Interval: "[0.00%, 100.00%]", ProbabilityToBeBest: "0.5000"},
		},
		VariantWinners: []v1alpha1.VariantWinner{{Step: "offer", Variant: "discount", Reason: v1alpha1.VariantPromoted, PromotedAt: &at}},
	}}
	var out bytes.Buffer
	if err := printPlaybookReport(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"STEP   VARIANT   SENDS  CONVERSIONS  RATE    95% INTERVAL      P(BEST)  \n",
		"offer  plain     200    40           20.00%  [15.05%, 26.09%]  0.0106   \n",
		"offer  discount  200    60           30.00%  [24.07%, 36.68%]  0.9894   winner (promoted 2026-06-01T12:00:00Z)\n",
		"later  a         0      0            -       [0.00%, 100.00%]  0.5000   \n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
