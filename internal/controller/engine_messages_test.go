package controller_test

import (
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
)

// One object of each kind that the CRD schema accepts and the engine's
// validation refuses (internal/specmap/testdata/engine-invalid.yaml): each
// is Ready=False with exactly the engine's message, naming the field, which
// is what `retentionctl lint` reports for it (internal/cli's
// TestLintReportsTheEnginesMessageForEachKind) and what the mapping returns
// (internal/specmap's TestEngineInvalidFixtureIsTheMappingsMessage).
var _ = Describe("Engine validation, one message with lint", func() {
	raw, err := os.ReadFile("../specmap/testdata/engine-invalid.yaml")
	if err != nil {
		panic(err)
	}
	docs := strings.Split(string(raw), "\n---\n")

	// object decodes the fixture's object of kind into a fresh one in ns.
	object := func(kind, ns string) interface {
		client.Object
		conditions.Object
	} {
		var obj interface {
			client.Object
			conditions.Object
		}
		switch kind {
		case "DataSource":
			obj = &v1alpha1.DataSource{}
		case "Channel":
			obj = &v1alpha1.Channel{}
		case "Segment":
			obj = &v1alpha1.Segment{}
		case "LoyaltyProgram":
			obj = &v1alpha1.LoyaltyProgram{}
		case "Playbook":
			obj = &v1alpha1.Playbook{}
		}
		for _, doc := range docs {
			if strings.Contains(doc, "\nkind: "+kind+"\n") {
				Expect(yaml.UnmarshalStrict([]byte(doc), obj)).To(Succeed())
			}
		}
		Expect(obj.GetName()).NotTo(BeEmpty(), "no %s in the fixture", kind)
		obj.SetNamespace(ns)
		return obj
	}

	DescribeTable("is Ready=False with the engine's message",
		func(kind, reason string) {
			ns := newNamespace()
			if kind == "Playbook" {
				// Its references must be Ready before the journey is mapped.
				fixture(ns)
				Expect(k8s.Create(ctx, newSegment(ns, "at-risk", "customer.recencyDays > 60.0"))).To(Succeed())
				waitMeasured(ns, "at-risk")
			}
			obj := object(kind, ns)
			want := obj.GetAnnotations()["test.retention.dev/engine-error"]
			Expect(want).To(HavePrefix("spec."))
			Expect(k8s.Create(ctx, obj)).To(Succeed())
			cond := eventuallyReady(obj, metav1.ConditionFalse, reason)
			Expect(cond.Message).To(Equal(want))
		},
		Entry("DataSource", "DataSource", "InvalidSpec"),
		Entry("Channel", "Channel", "InvalidSpec"),
		Entry("Segment", "Segment", "InvalidWindow"),
		Entry("LoyaltyProgram", "LoyaltyProgram", "InvalidSpec"),
		Entry("Playbook", "Playbook", "InvalidSpec"),
	)
})
