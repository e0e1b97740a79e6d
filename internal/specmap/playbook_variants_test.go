package specmap

import (
	"os"
	"reflect"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/journey"
)

func TestPlaybookVariantsMap(t *testing.T) {
	spec := &v1alpha1.PlaybookSpec{
		SegmentRef: v1alpha1.LocalObjectReference{Name: "s"},
		Trigger:    v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{}},
		Steps: []v1alpha1.Step{{Name: "offer", Send: &v1alpha1.SendStep{
			ChannelRef: v1alpha1.LocalObjectReference{Name: "mail"},
			Template:   v1alpha1.MessageTemplate{Subject: "Hi", Body: "<p>Hi</p>", HTML: true},
			Variants: []v1alpha1.Variant{
				{Name: "plain", Weight: 3},
				{Name: "sms", Weight: 1, ChannelRef: &v1alpha1.LocalObjectReference{Name: "text"}, Subject: "Now", Body: "<b>10%</b>"},
			},
			Pinned:  "plain",
			Promote: &v1alpha1.VariantPromote{MinSamplePerVariant: 500, ProbabilityToBeBestPercent: 95},
		}}},
	}
	cfg, err := Playbook("shop", "ab", spec)
	if err != nil {
		t.Fatal(err)
	}
	want := &journey.SendStep{ChannelRef: "mail", Topic: v1alpha1.DefaultTopic, Template: journey.Template{Subject: "Hi", HTML: "<p>Hi</p>"},
		Variants: []journey.Variant{
			{Name: "plain", Weight: 3},
			{Name: "sms", Weight: 1, ChannelRef: "text", Template: journey.Template{Subject: "Now", HTML: "<b>10%</b>"}},
		},
		Pinned:  "plain",
		Promote: &journey.Promote{MinSamplePerVariant: 500, ProbabilityToBeBest: 0.95},
	}
	if got := cfg.Steps[0].Send; !reflect.DeepEqual(got, want) {
		t.Fatalf("mapped %+v, want %+v", got, want)
	}
}

// The variant limits are decided in the journey engine; the CRD's schema
// repeats them (markers need literals), and this test keeps the two equal.
func TestCRDVariantLimitsAreTheEngines(t *testing.T) {
	raw, err := os.ReadFile("../../config/crd/bases/retention.dev_playbooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	send := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["steps"].Items.Schema.Properties["send"]
	variants := send.Properties["variants"]
	if variants.MaxItems == nil || *variants.MaxItems != journey.MaxVariants {
		t.Errorf("CRD variants maxItems %v, journey.MaxVariants %d", variants.MaxItems, journey.MaxVariants)
	}
	weight := variants.Items.Schema.Properties["weight"]
	if weight.Maximum == nil || int(*weight.Maximum) != journey.MaxVariantWeight {
		t.Errorf("CRD variant weight maximum %v, journey.MaxVariantWeight %d", weight.Maximum, journey.MaxVariantWeight)
	}
}
