package app

import (
	"context"

	"github.com/rcemu/rcemu/internal/restapi"
)

// openSpec loads the OpenAPI spec and registers the operations no stateful handler serves.
func (a *App) openSpec(ctx context.Context, rt *restapi.Router) error {
	a.Log.Info("no OpenAPI spec loaded: spec-only operations are off")
	return nil
}
