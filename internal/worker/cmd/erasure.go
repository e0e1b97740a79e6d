package cmd

import (
	"context"
	"fmt"

	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/store"
)

// withoutErased makes src skip the customers erased in the state store at
// url (store.ErasedIDs, re-read at every scan): the DataSource is the
// company's and may still hold them, but no worker imports them into the
// operator's stores again. Closing the result closes src and the store
// handle; on error src is closed.
func withoutErased(ctx context.Context, src datasource.Connector, url string) (datasource.Connector, error) {
	db, err := store.Open(ctx, url)
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("erasure list: %w", err)
	}
	return erasureFiltered{Connector: datasource.WithoutErased(src, db.ErasureList()), db: db}, nil
}

type erasureFiltered struct {
	datasource.Connector
	db *store.DB
}

func (e erasureFiltered) Close() error {
	err := e.Connector.Close()
	e.db.Close()
	return err
}
