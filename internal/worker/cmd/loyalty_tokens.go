package cmd

import (
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// loyaltyTokenFiles is where the controller mounted the program's bearer
// tokens: the API token at api-token/<apiTokenSecretRef.key> and, with
// spec.adminTokenSecretRef, the admin token at admin-token/<its key>.
//
// Without adminTokenSecretRef there is no admin token and the admin routes
// (adjustments, tier changes, expiring points) are off. The controller may
// still mount the API token's Secret at admin-token; that file is ignored,
// because the shop's API token acting as admin could credit any member any
// number of points. With adminTokenSecretRef the admin file is required, so
// the API refuses to start rather than run without it.
func loyaltyTokenFiles(spec *contract.Loyalty, paths workload.Paths) (token, admin string) {
	if key := spec.APITokenKey; key != "" {
		token = paths.Secrets(contract.APITokenDir, key)
	}
	if key := spec.AdminTokenKey; key != "" {
		admin = paths.Secrets(contract.AdminTokenDir, key)
	}
	return token, admin
}
