package reports

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
)

// A reproduction command is POSIX sh: a body with control bytes is fed by
// printf, whose format escapes every POSIX shell knows, byte for byte.
func TestReproduceIsPOSIX(t *testing.T) {
	body := "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n100% it's \\ fine\x01\r\n--b--\r\n"
	ex := probe.Exchange{URL: "http://127.0.0.1:9/v1/files", Request: probe.Request{Method: http.MethodPost,
		Header: http.Header{"Content-Type": {"multipart/form-data; boundary=b"}}, Body: []byte(body)}}
	cmd := Reproduce(redact.New(), nil, ex)
	require.True(t, strings.HasPrefix(cmd, "printf '%b' '"), cmd)
	assert.NotContains(t, cmd, "$'", "no bash-only quoting")
	printf, _, ok := strings.Cut(cmd, " | curl ")
	require.True(t, ok, cmd)
	assert.True(t, strings.HasSuffix(cmd, "--data-binary @-"), cmd)
	out, err := exec.Command("sh", "-c", printf).Output()
	require.NoError(t, err)
	assert.Equal(t, body, string(out))

	plain := Reproduce(redact.New(), nil, probe.Exchange{URL: "http://127.0.0.1:9/v1/chat/completions",
		Request: probe.Request{Method: http.MethodPost, Body: []byte(`{"content":"it's"}`)}})
	assert.Contains(t, plain, `--data-binary '{"content":"it'\''s"}'`)
}
