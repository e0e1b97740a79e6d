// Package specmap translates the custom resources' specs (api/v1alpha1) into
// the engines' plain configurations. Controllers use it to validate a spec
// with the same code the workers will run it with; workers use it to build
// their engines. Engines themselves never see Kubernetes types.
package specmap
