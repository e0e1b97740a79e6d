package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
)

func newFakeBase(objs ...client.Object) *Base {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.Segment{}).Build()
	return &Base{Client: c, APIReader: c}
}

func TestPanicInAStepStillWritesStatus(t *testing.T) {
	seg := &v1alpha1.Segment{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns", Generation: 1}}
	b := newFakeBase(seg)
	req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "s"}}
	func() {
		defer func() { _ = recover() }() // controller-runtime's RecoverPanic would catch it
		_, err := b.reconcileStatus(context.Background(), req, &v1alpha1.Segment{}, func() (conditions.Outcome, error) {
			panic("boom")
		})
		if err == nil {
			t.Fatal("a panicking step returned no error")
		}
	}()
	got := &v1alpha1.Segment{}
	if err := b.Get(context.Background(), req.NamespacedName, got); err != nil {
		t.Fatal(err)
	}
	ready := conditions.Get(got, v1alpha1.ConditionReady)
	if ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != "ReconcileError" {
		t.Fatalf("after a panic Ready is %+v, want False/ReconcileError written", ready)
	}
	if got.Status.ObservedGeneration != 0 {
		t.Errorf("observedGeneration moved to %d on a transient outcome", got.Status.ObservedGeneration)
	}
}

func TestWrappedTypedErrorsKeepTheirReaction(t *testing.T) {
	spec := fmt.Errorf("step: %w", &specError{"InvalidSpec", "spec.x: bad"})
	if o := outcomeOf(spec); o.Kind != conditions.Stalled || o.Reason != "InvalidSpec" {
		t.Errorf("wrapped specError became %+v", o)
	}
	if res, err := requeueFor(spec); err != nil || res.RequeueAfter != 0 {
		t.Errorf("wrapped specError requeued: %v %v", res, err)
	}
	ref := fmt.Errorf("step: %w", &refError{reason: "ConfigMapNotFound", message: "x", poll: true})
	if o := outcomeOf(ref); o.Kind != conditions.Progressing || o.Reason != "ConfigMapNotFound" {
		t.Errorf("wrapped refError became %+v", o)
	}
	if res, err := requeueFor(ref); err != nil || res.RequeueAfter != referencePoll {
		t.Errorf("wrapped polled refError: %v %v, want RequeueAfter %s", res, err, referencePoll)
	}
	transient := errors.New("etcd leader changed")
	if _, err := requeueFor(transient); err == nil {
		t.Error("a transient error was not returned for a retry")
	}
}

func TestStateStorePolicy(t *testing.T) {
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "retention-state", Namespace: "ns"},
		Data: map[string][]byte{"dsn": []byte("postgres://planted-password@db/x")}}
	own := &v1alpha1.DataSourceSpec{StateStore: &v1alpha1.StateStore{DSNSecretRef: v1alpha1.SecretKeySelector{Name: "retention-state", Key: "dsn"}}}
	none := &v1alpha1.DataSourceSpec{}

	b := newFakeBase(secret)
	_, err := b.resolveStateStore(ctx, "ns", "shop", none)
	var se *specError
	if !errors.As(err, &se) || se.reason != stateStoreRequired {
		t.Fatalf("no policy and no spec.stateStore: %v, want a specError %s", err, stateStoreRequired)
	}
	for _, hint := range []string{`spec.stateStore on DataSource "shop"`, "stateStore.secretName"} {
		if !strings.Contains(se.message, hint) {
			t.Errorf("message %q does not say what to set (%s)", se.message, hint)
		}
	}

	env, err := b.resolveStateStore(ctx, "ns", "shop", own)
	if err != nil || len(env) != 1 || env[0].ValueFrom.SecretKeyRef.Name != "retention-state" || env[0].Value != "" {
		t.Fatalf("spec.stateStore: %v %+v, want the Secret reference (never its value)", err, env)
	}

	b.StateStore = StateStorePolicy{SecretName: "missing"}
	_, err = b.resolveStateStore(ctx, "ns", "shop", none)
	var re *refError
	if !errors.As(err, &re) || re.reason != stateStoreRequired || !re.poll {
		t.Fatalf("default Secret missing: %v, want a polled refError %s", err, stateStoreRequired)
	}

	b.StateStore = StateStorePolicy{SecretName: "retention-state"}
	env, err = b.resolveStateStore(ctx, "ns", "shop", none)
	if err != nil || len(env) != 1 || env[0].ValueFrom.SecretKeyRef.Key != DefaultStateStoreKey {
		t.Fatalf("operator default: %v %+v", err, env)
	}

	b.StateStore = StateStorePolicy{AllowPrivate: true}
	if env, err = b.resolveStateStore(ctx, "ns", "shop", none); err != nil || len(env) != 0 {
		t.Fatalf("evaluation (private state): %v %+v", err, env)
	}
}
