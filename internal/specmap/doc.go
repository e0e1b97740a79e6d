// Package specmap translates the custom resources' specs (api/v1alpha1) into
// the engines' plain configurations and validates them with the engines' own
// rules. It is pure: no environment, no file system. Each controller maps its
// kind here once (a spec that fails is Ready=False naming the field),
// `retentionctl lint` runs the same functions, and the worker specs
// (worker.go) carry the results to the workers, which never see API types.
package specmap
