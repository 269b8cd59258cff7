package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSurfaceOperationsMatchTheDocument(t *testing.T) {
	routes, err := SurfaceRoutes()
	require.NoError(t, err)
	require.Len(t, surfaceOperations, len(routes))
	for _, r := range routes {
		op, ok := surfaceOperations[r.Path]
		require.True(t, ok, r.Path)
		assert.Equal(t, r.OperationID, op.operationID, r.Path)
		assert.Equal(t, r.Multipart, op.multipart, r.Path)
	}
}
