//go:build release

package main

// The image build itself (two linux images, one cross-compiled, and
// skopeo) runs under make test-release only: go test -tags release.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/tools/image/imagebuild"
)

const (
	testVersion = "9.8.7-test+img"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	testEpoch   = "1700000000"
)

// buildImage runs the tool as `make image` does and returns the archive's
// path and the printed NAME@DIGEST.
func buildImage(t *testing.T, out string, extra ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := append([]string{"-out", out, "-version", testVersion, "-commit", testCommit}, extra...)
	code := run(context.Background(), args, func(string) string { return testEpoch }, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr:\n%s", stderr.String())
	return strings.TrimSpace(stdout.String())
}

// TestReleaseImage builds the image twice, checks that both builds are
// byte-identical, inspects it with skopeo, and runs its binary.
func TestReleaseImage(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.tar")
	second := filepath.Join(dir, "sub", "second.tar")
	ref1 := buildImage(t, first)
	ref2 := buildImage(t, second)

	wantRef := imagebuild.Repository + ":9.8.7-test_img@sha256:"
	require.True(t, strings.HasPrefix(ref1, wantRef), "printed %q, want %s…", ref1, wantRef)
	digest := strings.TrimPrefix(ref1, imagebuild.Repository+":9.8.7-test_img@")

	t.Run("two builds are identical", func(t *testing.T) {
		assert.Equal(t, ref1, ref2, "the two builds' digests differ (did a source file change between them?)")
		a, err := os.ReadFile(first)
		require.NoError(t, err)
		b, err := os.ReadFile(second)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "the two archives differ")
	})

	t.Run("skopeo inspects it", func(t *testing.T) {
		skopeo := requireSkopeo(t)
		var raw struct {
			Digest string
		}
		out := runSkopeo(t, skopeo, "inspect", "oci-archive:"+first)
		require.NoError(t, json.Unmarshal(out, &raw), "%s", out)
		assert.Equal(t, digest, raw.Digest, "skopeo's digest is the image index's")
		// The archive is tagged: skopeo finds the image by its tag too.
		runSkopeo(t, skopeo, "inspect", "--raw", "oci-archive:"+first+":9.8.7-test_img")

		for _, tc := range []struct{ arch, variant string }{{"amd64", ""}, {"arm64", "v8"}} {
			t.Run(tc.arch, func(t *testing.T) {
				out := runSkopeo(t, skopeo, "--override-os", "linux", "--override-arch", tc.arch, "inspect", "--config", "oci-archive:"+first)
				var cf v1.ConfigFile
				require.NoError(t, json.Unmarshal(out, &cf), "%s", out)
				assert.Equal(t, "linux", cf.OS)
				assert.Equal(t, tc.arch, cf.Architecture)
				assert.Equal(t, tc.variant, cf.Variant)
				assert.Equal(t, "65532:65532", cf.Config.User, "runs as the non-root user")
				assert.Equal(t, []string{"/errconform"}, cf.Config.Entrypoint)
				assert.Equal(t, "/", cf.Config.WorkingDir)
				assert.Contains(t, cf.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
				assert.Equal(t, "2023-11-14T22:13:20Z", cf.Created.UTC().Format("2006-01-02T15:04:05Z"), "created is SOURCE_DATE_EPOCH")
				for key, want := range map[string]string{
					imagebuild.LabelVersion:  testVersion,
					imagebuild.LabelRevision: testCommit,
					imagebuild.LabelSource:   imagebuild.Source,
					imagebuild.LabelLicenses: "Apache-2.0",
					imagebuild.LabelTitle:    "errconform",
					imagebuild.LabelCreated:  "2023-11-14T22:13:20Z",
				} {
					assert.Equal(t, want, cf.Config.Labels[key], "label %s", key)
				}
				assert.Len(t, cf.RootFS.DiffIDs, 1, "one layer")
			})
		}
	})

	t.Run("its layer holds a runnable binary, CA certificates and a non-root user", func(t *testing.T) {
		files := layerFiles(t, first, runtime.GOARCH)
		type want struct {
			mode     int64
			uid      int
			typeflag byte
		}
		for name, w := range map[string]want{
			"errconform":                        {0o755, 0, tar.TypeReg},
			"etc/passwd":                        {0o644, 0, tar.TypeReg},
			"etc/group":                         {0o644, 0, tar.TypeReg},
			"etc/ssl/certs/ca-certificates.crt": {0o644, 0, tar.TypeReg},
			"tmp/":                              {0o1777, 0, tar.TypeDir},
			"home/nonroot/":                     {0o700, 65532, tar.TypeDir},
		} {
			f, ok := files[name]
			if !assert.True(t, ok, "the layer has no %s", name) {
				continue
			}
			assert.Equal(t, w.mode, f.hdr.Mode, "%s's mode", name)
			assert.Equal(t, w.uid, f.hdr.Uid, "%s's owner", name)
			assert.Equal(t, w.typeflag, f.hdr.Typeflag, "%s's type", name)
			assert.Equal(t, "2023-11-14T22:13:20Z", f.hdr.ModTime.UTC().Format("2006-01-02T15:04:05Z"), "%s's mtime", name)
		}
		assert.Contains(t, string(files["etc/passwd"].data), "nonroot:x:65532:65532:")
		assert.Contains(t, string(files["etc/group"].data), "nonroot:x:65532:")
		hostCA, err := os.ReadFile(imagebuild.DefaultCABundle)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(hostCA, files["etc/ssl/certs/ca-certificates.crt"].data), "the CA bundle is the build machine's")

		if runtime.GOOS != "linux" {
			t.Skipf("the image's binary is for linux, this is %s", runtime.GOOS)
		}
		exe := filepath.Join(t.TempDir(), "errconform")
		require.NoError(t, os.WriteFile(exe, files["errconform"].data, 0o755))
		out, err := exec.Command(exe, "version").CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.True(t, strings.HasPrefix(string(out), "errconform "+testVersion+" "), "errconform version printed %q", out)
		assert.Contains(t, string(out), "commit "+testCommit)
	})
}

// requireSkopeo returns skopeo's path; without it the release test fails
// (.ci/run installs Debian's skopeo).
func requireSkopeo(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("skopeo")
	require.NoError(t, err, "skopeo is not installed (apt-get install skopeo; .ci/run does)")
	return path
}

func runSkopeo(t *testing.T, skopeo string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(skopeo, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "skopeo %s: %s", strings.Join(args, " "), stderr.String())
	return out
}

type layerFile struct {
	hdr  *tar.Header
	data []byte
}

// layerFiles unpacks the archive's OCI layout, reads it with
// go-containerregistry, and returns the files of arch's single layer.
func layerFiles(t *testing.T, archive, arch string) map[string]layerFile {
	t.Helper()
	dir := t.TempDir()
	untar(t, archive, dir)
	lay, err := layout.FromPath(dir)
	require.NoError(t, err)
	top, err := lay.ImageIndex()
	require.NoError(t, err)
	topManifest, err := top.IndexManifest()
	require.NoError(t, err)
	require.Len(t, topManifest.Manifests, 1, "index.json names one image index")
	idx, err := top.ImageIndex(topManifest.Manifests[0].Digest)
	require.NoError(t, err)
	im, err := idx.IndexManifest()
	require.NoError(t, err)
	var img v1.Image
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == arch {
			img, err = idx.Image(d.Digest)
			require.NoError(t, err)
		}
	}
	require.NotNil(t, img, "the index has no linux/%s image", arch)
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 1)
	rc, err := layers[0].Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	files := map[string]layerFile{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[hdr.Name] = layerFile{hdr: hdr, data: data}
	}
	return files
}

// untar unpacks the archive (regular files and directories only) into dir.
func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
		target := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		require.True(t, strings.HasPrefix(target, dir+string(filepath.Separator)), "archive entry %q escapes", hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			require.NoError(t, os.MkdirAll(target, 0o755))
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(target, data, 0o644))
		default:
			t.Fatalf("unexpected entry %q (type %c) in the archive", hdr.Name, hdr.Typeflag)
		}
	}
}
