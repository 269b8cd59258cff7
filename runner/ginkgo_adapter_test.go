package runner

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// All Ginkgo wiring lives in two files of runner/ (label filters and the
// suite): outside tests, no other file of runner/ or suites/ imports
// Ginkgo.
func TestGinkgoWiringLivesInOneFile(t *testing.T) {
	for _, dir := range []string{".", "../suites"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") || filepath.Clean(file) == "ginkgo.go" || filepath.Clean(file) == "specs.go" {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			require.NoError(t, err)
			for _, imp := range f.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				require.NoError(t, err)
				assert.False(t, strings.HasPrefix(path, "github.com/onsi/ginkgo"),
					"%s imports %s: Ginkgo is wired in runner/ginkgo.go (label filters) and runner/specs.go (the suite) only", file, path)
			}
		}
	}
}
