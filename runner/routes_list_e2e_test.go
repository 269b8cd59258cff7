package runner_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// allRoutesContract lists every route of the OpenAI surface.
const allRoutesContract = "../testdata/contracts/all-routes.yaml"

func TestListRoutesShowsEachRouteWithItsSchemaAndCounts(t *testing.T) {
	type entry struct {
		Path            string `json:"path"`
		OperationID     string `json:"operation_id"`
		Schema          string `json:"schema"`
		SchemaOrigin    string `json:"schema_origin"`
		Cases           int    `json:"cases"`
		InContract      int    `json:"in_contract"`
		ExploreVariants int    `json:"explore_variants"`
	}
	tests := []struct {
		contract string
		want     []string
	}{
		{"aiand", []string{spec.PathChatCompletions, spec.PathFiles, "/models"}},
		{"openrouter", []string{spec.PathChatCompletions, "/models"}},
		{allRoutesContract, spec.SurfacePaths()},
	}
	for _, tc := range tests {
		t.Run(tc.contract, func(t *testing.T) {
			out := errconform(t, nil, "list", "--routes", "--contract", tc.contract, "--format", "json")
			require.Equal(t, 0, out.code, out.stderr)
			var entries []entry
			require.NoError(t, json.Unmarshal([]byte(out.stdout), &entries))
			byPath := map[string]entry{}
			total := 0
			for _, e := range entries {
				byPath[e.Path] = e
				total += e.Cases
			}
			contract, err := spec.Open(tc.contract)
			require.NoError(t, err)
			cases, err := suites.For(contract)
			require.NoError(t, err)
			assert.Equal(t, len(cases), total, "every case is under one route")
			for _, path := range tc.want {
				e, ok := byPath[path]
				require.True(t, ok, "%s is listed", path)
				assert.Positive(t, e.Cases, path)
			}
			_, embeddings := byPath[spec.PathEmbeddings]
			assert.Equal(t, tc.contract == allRoutesContract, embeddings, "embeddings only where the contract lists it")
			if tc.contract == allRoutesContract {
				e := byPath[spec.PathEmbeddings]
				assert.Equal(t, "createEmbedding", e.OperationID)
				assert.Equal(t, "CreateEmbeddingRequest", e.Schema)
				assert.Equal(t, spec.SchemaFromSurface, e.SchemaOrigin)
				assert.Positive(t, e.ExploreVariants)
				assert.Positive(t, byPath[spec.PathAudioTranscriptions].ExploreVariants, "a multipart route is explored too, its variants sent as forms")
			}
			text := errconform(t, nil, "list", "--routes", "--contract", tc.contract)
			require.Equal(t, 0, text.code, text.stderr)
			assert.Contains(t, text.stdout, "ROUTE")
			for _, path := range tc.want {
				assert.Contains(t, text.stdout, path)
			}
		})
	}
}

func TestListShowsCasesPerRoute(t *testing.T) {
	out := errconform(t, nil, "list", "--contract", allRoutesContract)
	require.Equal(t, 0, out.code, out.stderr)
	_, perRoute, ok := strings.Cut(out.stdout, "Cases per route:\n")
	require.True(t, ok, out.stdout)
	for _, path := range spec.SurfacePaths() {
		assert.Contains(t, perRoute, "  "+path+" ", path)
	}
	for _, id := range []string{"completions/missing/prompt/stream", "responses/upstream-error/stream", "audio-transcriptions/not-multipart", "embeddings/auth/unknown-key"} {
		assert.Contains(t, out.stdout, id+" ")
	}
	md := errconform(t, nil, "list", "--contract", allRoutesContract, "--format", "markdown")
	require.Equal(t, 0, md.code, md.stderr)
	for _, path := range spec.SurfacePaths() {
		assert.Contains(t, md.stdout, "\n## Route `"+path+"`\n", path)
	}
	both := errconform(t, nil, "list", "--routes", "--explore")
	assert.Equal(t, 2, both.code)
	assert.Contains(t, both.stderr, "--routes")
}

// TestRunFirstLineSaysWhichRoutesAreJudged: a run's first line closes
// with the routes its selected cases judge, each with its count, so a
// contract listing routes the target does not serve shows at once.
func TestRunFirstLineSaysWhichRoutesAreJudged(t *testing.T) {
	tests := []struct {
		contract      string
		filter        string
		want, notWant []string
	}{
		{"aiand", "group:route", []string{"routes judged: ", spec.PathChatCompletions + " "}, []string{spec.PathEmbeddings}},
		{allRoutesContract, "", []string{"routes judged: ", spec.PathEmbeddings + " ", spec.PathResponses + " ", spec.PathAudioTranscriptions + " "}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.contract, func(t *testing.T) {
			dir := t.TempDir()
			paths := map[string]string{"json": filepath.Join(dir, "r.json"), "junit": filepath.Join(dir, "r.xml"),
				"markdown": filepath.Join(dir, "r.md"), "html": filepath.Join(dir, "r.html"), "ctrf": filepath.Join(dir, "r.ctrf.json")}
			args := []string{"run", "--target", "reference", "--contract", tc.contract}
			for format, p := range paths {
				args = append(args, "--"+format, p)
			}
			if tc.filter != "" {
				args = append(args, "--label-filter", tc.filter)
			}
			out := errconform(t, nil, args...)
			require.Equal(t, 0, out.code, out.stdout+out.stderr)
			first, _, _ := strings.Cut(out.stdout, "\n")
			for _, w := range tc.want {
				assert.Contains(t, first, w)
			}
			for _, w := range tc.notWant {
				assert.NotContains(t, first, w)
			}
			// Every report says it too, from the summary's routes_judged.
			rep := readJSONReport(t, paths["json"])
			routes := rep.Summary.RoutesJudged
			assert.Positive(t, routes[spec.PathChatCompletions], "the JSON summary counts chat's judged cases")
			_, embeddings := routes[spec.PathEmbeddings]
			assert.Equal(t, tc.contract == allRoutesContract, embeddings, "embeddings judged only where the contract lists it")
			text := rep.Summary.RoutesText()
			for format, p := range paths {
				data, err := os.ReadFile(p)
				require.NoError(t, err)
				switch format {
				case "junit":
					assert.Contains(t, string(data), `name="errconform.routes_judged" value="`+text+`"`)
				case "html":
					assert.Contains(t, string(data), `id="routes-judged"`)
					assert.Contains(t, string(data), spec.PathChatCompletions+" ")
				case "markdown":
					assert.Contains(t, string(data), text, "the summary's line names every judged route")
				default:
					assert.Contains(t, string(data), `"routes_judged"`)
				}
			}
		})
	}
}
