package runner_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One engine, one report model: a run with --shard 0/1 writes the same
// JSON, JUnit and CTRF reports as the same run without it, byte for byte
// once the timings, the shard field, the Date headers the target sends and
// what changes on every exchange are set aside: what errconform crafts
// (JWTs, with their iat and exp; unknown keys and multipart boundaries,
// random hex) and what the target answers afresh (a completion's id and
// created time).
func TestShardZeroOfOneWritesTheUnshardedReports(t *testing.T) {
	cfgPath, _ := serveReferenceWith(t, func(h http.Handler) http.Handler { return h }, nil)
	written := map[string]map[string]string{}
	for i, shard := range []string{"", "0/1"} {
		if i > 0 {
			// The reference's rate-limit window (300 ms) is fresh again.
			time.Sleep(time.Second)
		}
		dir := t.TempDir()
		args := []string{"run", "--config", cfgPath, "--quiet", "--json", filepath.Join(dir, "r.json"),
			"--junit", filepath.Join(dir, "r.xml"), "--ctrf", filepath.Join(dir, "r.ctrf.json")}
		if shard != "" {
			args = append(args, "--shard", shard)
		}
		out := errconform(t, nil, args...)
		require.Equal(t, 0, out.code, "shard %q: %s", shard, out.stdout+out.stderr)
		written[shard] = map[string]string{}
		for _, name := range []string{"r.json", "r.xml", "r.ctrf.json"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			written[shard][name] = withoutTimings(t, name, data)
		}
	}
	for _, name := range []string{"r.json", "r.xml", "r.ctrf.json"} {
		assert.Equal(t, written[""][name], written["0/1"][name], "%s: --shard 0/1 writes the unsharded report", name)
		assert.Contains(t, written[""][name], "control/chat", "%s: a report of the run's cases", name)
	}
}

var (
	// jwtPattern is a JSON Web Token errconform crafted (its iat and exp
	// are the time it was made).
	jwtPattern   = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)
	randomHex    = regexp.MustCompile(`[0-9a-f]{32,}`)
	completionID = regexp.MustCompile(`chatcmpl-[0-9a-f]+`)
	createdTime  = regexp.MustCompile(`(\\*"created\\*"):[0-9]+`)
	xmlTimings   = regexp.MustCompile(` (time|timestamp)="[^"]*"`)
	timingFields = map[string]bool{"started_at": true, "duration_ms": true, "duration": true, "start": true, "stop": true, "timestamp": true,
		"shard": true, "Date": true}
)

// withoutTimings is a report with its timings (and the other values
// TestShardZeroOfOneWritesTheUnshardedReports sets aside) removed.
func withoutTimings(t *testing.T, name string, data []byte) string {
	t.Helper()
	if filepath.Ext(name) == ".xml" {
		return crafted(xmlTimings.ReplaceAllString(string(data), ""))
	}
	var doc any
	require.NoError(t, json.Unmarshal(data, &doc), name)
	var drop func(v any)
	drop = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if timingFields[k] {
					delete(v, k)
					continue
				}
				drop(x)
			}
		case []any:
			for _, x := range v {
				drop(x)
			}
		}
	}
	drop(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	return crafted(string(out))
}

// crafted is s with the values that change on every exchange replaced.
func crafted(s string) string {
	s = randomHex.ReplaceAllString(jwtPattern.ReplaceAllString(s, "JWT"), "RANDOM")
	return createdTime.ReplaceAllString(completionID.ReplaceAllString(s, "chatcmpl-ID"), "${1}:0")
}
