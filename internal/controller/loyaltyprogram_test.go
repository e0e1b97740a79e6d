package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/report"
)

// newProgram is a small valid LoyaltyProgram "rewards" on DataSource "shop",
// with its API token Secret created.
func newProgram(ns string) *v1alpha1.LoyaltyProgram {
	createSecret(ns, "api", map[string]string{"token": "t"})
	return &v1alpha1.LoyaltyProgram{ObjectMeta: metav1.ObjectMeta{Name: "rewards", Namespace: ns}, Spec: v1alpha1.LoyaltyProgramSpec{
		DataSourceRef: v1alpha1.LocalObjectReference{Name: "shop"}, Currency: "EUR", PointValue: "0.01",
		EarnRules:         v1alpha1.EarnRules{PointsPerUnit: 10},
		Tiers:             []v1alpha1.Tier{{Name: "bronze"}, {Name: "gold", Threshold: 1000}},
		APITokenSecretRef: v1alpha1.SecretKeySelector{Name: "api", Key: "token"},
	}}
}

var _ = Describe("LoyaltyProgram", func() {
	It("runs its API and folds the metrics job's figures into status", func() {
		ns := fixtureNamespace()
		lp := create(newProgram(ns))
		// No deployment controller runs here: the Deployment never reports
		// having observed its generation, so the program waits, Progressing.
		cond := eventuallyReady(lp, metav1.ConditionFalse, "RollingOut")
		Expect(cond.Message).To(Equal(`deployment "rewards-loyalty" rolling out`))

		eventuallyAvailable(ns, lp, "")
		Expect(lp.Status.Endpoint).To(Equal("http://rewards-loyalty." + ns + ".svc:8080"))

		c := workerPod(ns, "rewards-loyalty", "loyalty", "/readyz").Containers[0]
		Expect(c.VolumeMounts).To(ContainElement(HaveField("MountPath", "/var/run/secrets/retention/api-token")))

		// Hand-checked figures: 440 points outstanding at 0.01 EUR = 4.40 EUR.
		writeReport(ns, "rewards-loyalty-report", report.Loyalty{
			Members: 3, MembersPerTier: map[string]int64{"bronze": 2, "gold": 1},
			PointsOutstanding: 440, Liability: 4.4, RedemptionRate: 18.518518,
		})
		Eventually(func(g Gomega) {
			reload(g, lp)
			g.Expect(lp.Status.Members).To(Equal(int64(3)))
		}, timeout, interval).Should(Succeed())
		Expect(lp.Status.MembersPerTier).To(Equal(map[string]int64{"bronze": 2, "gold": 1}))
		Expect(lp.Status.PointsOutstanding).To(Equal(int64(440)))
		Expect(lp.Status.Liability).To(Equal("4.40"))
		Expect(kubectl("get", "loyaltyprogram", "rewards", "-n", ns)).To(MatchRegexp(`rewards\s+True\s+3\s+440\s+4.40\s+EUR`))
		Expect(gauge("retention_loyalty_liability", map[string]string{"namespace": ns, "program": "rewards", "currency": "EUR"})).To(Equal(4.40))
	})
})
