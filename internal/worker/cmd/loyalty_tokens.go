package cmd

import (
	"errors"
	"io/fs"
	"os"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
)

// loyaltyTokenFiles is where the controller mounted the program's bearer
// tokens: the API token at api-token/<apiTokenSecretRef.key> and the admin
// token at admin-token/<key>, key = adminTokenSecretRef.key when set, else
// apiTokenSecretRef.key (the controller then mounts the API token's Secret
// there, so the API token is also the admin token: Playbooks' awardPoints
// steps credit points with it through POST /v1/members/{id}/adjustments).
//
// Without adminTokenSecretRef, a missing admin-token file falls back to the
// API token file: both would hold the same Secret's key, and a mount that
// predates admin-token (or a local run that writes only api-token) must keep
// working. With adminTokenSecretRef the admin file is required, so the API
// refuses to start rather than let the shop token act as admin.
func loyaltyTokenFiles(spec *v1alpha1.LoyaltyProgramSpec) (token, admin string) {
	key := spec.APITokenSecretRef.Key
	if key != "" {
		token = secretsDir(workerconfig.APITokenDir, key)
	}
	if ref := spec.AdminTokenSecretRef; ref != nil && ref.Key != "" {
		return token, secretsDir(workerconfig.AdminTokenDir, ref.Key)
	}
	if key == "" {
		return token, ""
	}
	admin = secretsDir(workerconfig.AdminTokenDir, key)
	if _, err := os.Stat(admin); errors.Is(err, fs.ErrNotExist) {
		return token, token
	}
	return token, admin
}
