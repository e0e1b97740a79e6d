package controller

// NewForTest returns reconcilers over b with a fresh memory of what was
// applied, as a restarted manager has: what they find in place they trust
// by its applied-hash annotation, so a reconcile of converged objects
// writes nothing.
func NewForTest(b Base) (*SegmentReconciler, *PlaybookReconciler) {
	b.applied, b.identities = &appliedGenerations{}, &workerIdentities{}
	return &SegmentReconciler{Base: b}, &PlaybookReconciler{Base: b}
}
