package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// GetConditions gives the condition helpers (internal/conditions) one way into
// every kind's status.
func (o *DataSource) GetConditions() *[]metav1.Condition { return &o.Status.Conditions }

// GetConditions returns the Channel's conditions.
func (o *Channel) GetConditions() *[]metav1.Condition { return &o.Status.Conditions }

// GetConditions returns the Segment's conditions.
func (o *Segment) GetConditions() *[]metav1.Condition { return &o.Status.Conditions }

// GetConditions returns the LoyaltyProgram's conditions.
func (o *LoyaltyProgram) GetConditions() *[]metav1.Condition { return &o.Status.Conditions }

// GetConditions returns the Playbook's conditions.
func (o *Playbook) GetConditions() *[]metav1.Condition { return &o.Status.Conditions }

// ObserveGeneration records that the status describes the current spec.
func (o *DataSource) ObserveGeneration() { o.Status.ObservedGeneration = o.Generation }

// ObserveGeneration records that the status describes the current spec.
func (o *Channel) ObserveGeneration() { o.Status.ObservedGeneration = o.Generation }

// ObserveGeneration records that the status describes the current spec.
func (o *Segment) ObserveGeneration() { o.Status.ObservedGeneration = o.Generation }

// ObserveGeneration records that the status describes the current spec.
func (o *LoyaltyProgram) ObserveGeneration() { o.Status.ObservedGeneration = o.Generation }

// ObserveGeneration records that the status describes the current spec.
func (o *Playbook) ObserveGeneration() { o.Status.ObservedGeneration = o.Generation }
