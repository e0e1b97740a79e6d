package loyalty

import (
	"errors"
	"net/http"

	"github.com/retention-dev/retention-operator/internal/store"
)

// postErasure is POST /v1/members/{id}/erasure (admin token): the same
// erasure as `retentionctl forget`, in the state store this worker uses,
// which holds the program's ledger and, when shared, the journeys, the
// delivery ledger and segment snapshots too. The answer holds the pseudonym
// and rows touched, never the id; repeating the call is harmless (run 2,
// nothing touched).
func (a *API) postErasure(w http.ResponseWriter, r *http.Request, id string) {
	e, err := a.points.DB().Forget(r.Context(), id, a.now())
	var bad *store.CustomerIDError
	switch {
	case errors.As(err, &bad):
		writeError(w, 400, bad.Error(), "id")
	case err != nil:
		a.storeError(w, r, err)
	default:
		writeJSON(w, 200, e)
	}
}
