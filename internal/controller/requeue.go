package controller

import (
	"errors"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// referencePoll is how often an object waiting on a user ConfigMap is looked
// at again: the manager does not cache or watch ConfigMaps it does not own, so
// a missing one is noticed by polling. (Secrets are watched by metadata.)
const referencePoll = 30 * time.Second

// requeueFor turns a step error into a result: spec and reference problems are
// recorded in conditions and not retried with backoff (a watch or a spec change
// wakes the object); user ConfigMaps are polled; other errors go to the
// rate-limited queue.
func requeueFor(err error) (ctrl.Result, error) {
	var ref *refError
	var spec *specError
	switch {
	case errors.As(err, &spec):
		return ctrl.Result{}, nil
	case errors.As(err, &ref):
		if ref.poll {
			return ctrl.Result{RequeueAfter: referencePoll}, nil
		}
		return ctrl.Result{}, nil
	default:
		return ctrl.Result{}, err
	}
}
