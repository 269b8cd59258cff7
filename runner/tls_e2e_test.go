package runner_test

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
)

// TLS is verified by default; --ca-cert trusts another CA; --insecure is
// explicit and warns.
func TestTLSVerification(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond})
	srv := httptest.NewTLSServer(ref)
	t.Cleanup(srv.Close)
	cfg := ref.Config(srv.URL + "/v1")
	data, err := cfg.Marshal()
	require.NoError(t, err)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "tls.yaml")
	require.NoError(t, os.WriteFile(cfgPath, data, 0o600))
	caPath := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"untrusted certificate", nil, 3, "TLS certificate is not trusted", ""},
		{"trusted with --ca-cert", []string{"--ca-cert", caPath}, 0, "0 failed", ""},
		{"--insecure warns", []string{"--insecure"}, 0, "0 failed", "WARNING: --insecure"},
		{"missing CA file", []string{"--ca-cert", filepath.Join(dir, "missing.pem")}, 2, "", "tls.ca_cert"},
		{"CA file without a certificate", []string{"--ca-cert", notPEM}, 2, "", "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--config", cfgPath, "--label-filter", "group:route || group:request"}, tt.args...)
			out := errconform(t, nil, args...)
			assert.Equal(t, tt.code, out.code, out.stdout+out.stderr)
			assert.Contains(t, out.stdout+out.stderr, tt.stdout)
			assert.Contains(t, out.stderr, tt.stderr)
		})
	}
}
