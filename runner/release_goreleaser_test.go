//go:build release

package runner_test

// make test-release (go test -tags release -run '^TestRelease'): the
// release exactly as make release-snapshot builds it with goreleaser, twice.

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/spec"
)

// releaseTag is true under make test-release: the release tests run in
// full, and a tool they need that is missing fails them instead of
// skipping.
const releaseTag = true

// releasePlatforms is every platform a release publishes.
var releasePlatforms = [][2]string{
	{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"windows", "arm64"},
}

// makeRelease runs a release target of the Makefile with the given
// environment added and returns what it printed.
func makeRelease(t *testing.T, ctx context.Context, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-C", repoRoot(t)}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	for _, kv := range os.Environ() { // a make around this go test must not steer the inner make
		if !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "make %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// TestReleaseGoreleaser: make release-snapshot (goreleaser release
// --snapshot --clean, pinned, offline) run twice into two directories gives
// the same checksums.txt, byte for byte: six archives and six SBOMs. Each
// archive holds a static, stripped, -trimpath binary for its platform with
// LICENSE and README.md, every entry dated at the commit; the host's binary
// reports the snapshot version and the commit; each SBOM is CycloneDX naming
// the modules of go.mod; the release notes are CHANGELOG.md's Unreleased
// section; and ci/install.sh installs the host's archive from the release
// served on 127.0.0.1 and refuses it tampered.
func TestReleaseGoreleaser(t *testing.T) {
	root := repoRoot(t)
	ctx := context.Background()
	if deadline, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-20*time.Second))
		defer cancel()
	}
	// goreleaser and cyclonedx-gomod, pinned, from the Go module proxy
	// (once: bin/tools keeps them); from here on nothing is fetched.
	makeRelease(t, ctx, nil, "release-tools")
	offline := []string{"GOPROXY=off", "GOFLAGS=", "GITHUB_TOKEN=", "GITLAB_TOKEN=", "GITEA_TOKEN="}
	work := t.TempDir()
	first, second := filepath.Join(work, "first"), filepath.Join(work, "second")
	start := time.Now()
	printed := makeRelease(t, ctx, offline, "release-snapshot", "DIST="+first)
	t.Logf("make release-snapshot took %v (the first)", time.Since(start).Round(time.Second))
	makeRelease(t, ctx, offline, "release-snapshot", "DIST="+second)

	sumsFile := filepath.Join(first, "checksums.txt")
	sums, err := os.ReadFile(sumsFile)
	require.NoError(t, err)
	again, err := os.ReadFile(filepath.Join(second, "checksums.txt"))
	require.NoError(t, err)
	assert.Equal(t, string(sums), string(again), "two builds of one commit give the same checksums (reproducible)")
	assert.Contains(t, printed, string(sums), "make release-snapshot prints checksums.txt")

	var meta struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
		Date    string `json:"date"`
	}
	data, err := os.ReadFile(filepath.Join(first, "metadata.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &meta))
	require.Regexp(t, `^\d+\.\d+\.\d+-snapshot$`, meta.Version, "the snapshot's version")
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	require.NoError(t, err)
	commit := strings.TrimSpace(string(head))
	require.Equal(t, commit, meta.Commit, "goreleaser read the commit (not \"none\": a checkout without a remote is given one by the Makefile)")
	commitTime, err := exec.Command("git", "-C", root, "log", "-1", "--format=%ct").Output()
	require.NoError(t, err)
	epoch, err := strconv.ParseInt(strings.TrimSpace(string(commitTime)), 10, 64)
	require.NoError(t, err)

	var archives, sboms []string
	for _, p := range releasePlatforms {
		archives = append(archives, archiveName(meta.Version, p[0], p[1]))
		sboms = append(sboms, fmt.Sprintf("errconform_%s_%s_%s.cdx.json", meta.Version, p[0], p[1]))
	}

	t.Run("checksums.txt lists every archive and SBOM, and verifies", func(t *testing.T) {
		listed := parseChecksums(t, sums)
		var names []string
		for name, sum := range listed {
			names = append(names, name)
			assert.Equal(t, sum, sha256File(t, filepath.Join(first, name)), name)
		}
		want := append(append([]string{}, archives...), sboms...)
		sort.Strings(want)
		sort.Strings(names)
		assert.Equal(t, want, names)
		cmd := exec.Command("sha256sum", "--check", "--strict", "checksums.txt")
		cmd.Dir = first
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "sha256sum --check: %s", out)
	})

	license, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	for i, p := range releasePlatforms {
		t.Run(archives[i], func(t *testing.T) {
			files, entries := extractArchive(t, filepath.Join(first, archives[i]))
			exe := "errconform"
			if p[0] == "windows" {
				exe = "errconform.exe"
			}
			var got []string
			for name, e := range entries {
				got = append(got, name)
				assert.Equal(t, epoch, e.modTime.Unix(), "%s is dated at the commit (reproducible)", name)
			}
			sort.Strings(got)
			require.Equal(t, []string{"LICENSE", "README.md", exe}, got, "the binary, LICENSE and README.md at the archive's top")
			for name, want := range map[string][]byte{"LICENSE": license, "README.md": readme} {
				content, err := os.ReadFile(filepath.Join(files, name))
				require.NoError(t, err)
				assert.Equal(t, string(want), string(content), name)
			}
			if p[0] != "windows" {
				assert.Equal(t, os.FileMode(0o755), entries[exe].mode.Perm(), "%s is executable", exe)
			}
			checkExecutable(t, p[0], p[1], filepath.Join(files, exe), root)
		})
	}

	contract, err := spec.Load()
	require.NoError(t, err)
	wantVersion := fmt.Sprintf("errconform %s (contract %s, commit %s)\n", meta.Version, contract.Version, commit)
	host := archiveName(meta.Version, runtime.GOOS, runtime.GOARCH)

	t.Run("the host's binary reports the snapshot version and the commit", func(t *testing.T) {
		files, _ := extractArchive(t, filepath.Join(first, host))
		out, err := exec.Command(filepath.Join(files, "errconform"), "version").CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Equal(t, wantVersion, string(out))
	})

	t.Run("an SBOM per binary: CycloneDX, the modules of go.mod, no time or serial", func(t *testing.T) {
		gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		require.NoError(t, err)
		require.Contains(t, string(gomod), "github.com/spf13/cobra ")
		cobra := regexp.MustCompile(`github.com/spf13/cobra (v\S+)`).FindStringSubmatch(string(gomod))[1]
		for _, name := range sboms {
			data, err := os.ReadFile(filepath.Join(first, name))
			require.NoError(t, err)
			var bom struct {
				BOMFormat    string `json:"bomFormat"`
				SpecVersion  string `json:"specVersion"`
				SerialNumber string `json:"serialNumber"`
				Metadata     struct {
					Timestamp string `json:"timestamp"`
					Component struct {
						Name    string `json:"name"`
						Version string `json:"version"`
					} `json:"component"`
				} `json:"metadata"`
				Components []struct {
					Name    string `json:"name"`
					Version string `json:"version"`
					PURL    string `json:"purl"`
				} `json:"components"`
			}
			require.NoError(t, json.Unmarshal(data, &bom), name)
			assert.Equal(t, "CycloneDX", bom.BOMFormat, name)
			assert.NotEmpty(t, bom.SpecVersion, name)
			assert.Empty(t, bom.SerialNumber, "%s: no random serial number (reproducible)", name)
			assert.Empty(t, bom.Metadata.Timestamp, "%s: no time of the scan (reproducible)", name)
			assert.Equal(t, "github.com/errconform/errconform", bom.Metadata.Component.Name, name)
			found := false
			for _, c := range bom.Components {
				if c.Name == "github.com/spf13/cobra" {
					found = true
					assert.Equal(t, cobra, c.Version, "%s: cobra's version is go.mod's", name)
				}
			}
			assert.True(t, found, "%s lists github.com/spf13/cobra", name)
			assert.NotContains(t, string(data), root, "%s holds no path of the checkout", name)
			assert.NotContains(t, string(data), work, "%s holds no path of the build", name)
		}
	})

	t.Run("the release notes are CHANGELOG.md's Unreleased section in the template", func(t *testing.T) {
		notes, err := os.ReadFile(filepath.Join(first, "release-notes.md"))
		require.NoError(t, err)
		changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
		require.NoError(t, err)
		unreleased := regexp.MustCompile(`(?s)## \[Unreleased\]\n\n(.*?)\n## \[`).FindSubmatch(changelog)
		require.NotNil(t, unreleased, "CHANGELOG.md has an Unreleased section")
		assert.True(t, strings.HasPrefix(string(notes), "## errconform "+meta.Version+"\n"), "%s", notes)
		assert.Contains(t, string(notes), strings.TrimSpace(string(unreleased[1])))
		assert.Contains(t, string(notes), "errconform_"+meta.Version+"_<os>_<arch>.tar.gz")
		assert.NotContains(t, string(notes), "{{")
	})

	t.Run("install.sh installs the host's archive and refuses it tampered", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "bin")
		code, out := runInstall(t, "ERRCONFORM_VERSION=v"+meta.Version, "ERRCONFORM_RELEASE_BASE_URL="+serveRelease(t, meta.Version, first), "ERRCONFORM_INSTALL_DIR="+bin)
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, "matches checksums.txt")
		got, err := exec.Command(filepath.Join(bin, "errconform"), "version").CombinedOutput()
		require.NoError(t, err, "%s", got)
		assert.Equal(t, wantVersion, string(got))

		tampered := t.TempDir()
		copyFile(t, sumsFile, filepath.Join(tampered, "checksums.txt"))
		copyFile(t, filepath.Join(first, host), filepath.Join(tampered, host))
		flipByte(t, filepath.Join(tampered, host))
		bin = filepath.Join(t.TempDir(), "bin")
		code, out = runInstall(t, "ERRCONFORM_VERSION="+meta.Version, "ERRCONFORM_RELEASE_BASE_URL="+serveRelease(t, meta.Version, tampered), "ERRCONFORM_INSTALL_DIR="+bin)
		assert.Equal(t, 1, code, out)
		assert.Contains(t, out, "SHA-256 checksum mismatch for "+host)
		assert.NoFileExists(t, filepath.Join(bin, "errconform"))
	})
}

// parseChecksums reads sha256sum's format, "<64 hex>  <name>" per line.
func parseChecksums(t *testing.T, data []byte) map[string]string {
	t.Helper()
	line := regexp.MustCompile(`^([0-9a-f]{64})  (\S+)$`)
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		require.NotNil(t, m, "checksums.txt line %q is not sha256sum's format", sc.Text())
		_, dup := sums[m[2]]
		require.False(t, dup, "%s listed twice", m[2])
		sums[m[2]] = m[1]
	}
	return sums
}

// entry is what an archive says of one file in it.
type entry struct {
	mode    os.FileMode
	modTime time.Time
}

// extractArchive unpacks a .tar.gz or .zip into a new directory and
// returns it with each entry's mode and time.
func extractArchive(t *testing.T, archive string) (string, map[string]entry) {
	t.Helper()
	dir, entries := t.TempDir(), map[string]entry{}
	write := func(name string, r io.Reader) {
		require.False(t, strings.ContainsAny(name, `/\`) || name == ".." || name == ".", "entry %q is a plain name at the archive's top", name)
		out, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		require.NoError(t, err)
		_, err = io.Copy(out, r)
		require.NoError(t, err)
		require.NoError(t, out.Close())
	}
	if strings.HasSuffix(archive, ".zip") {
		zr, err := zip.OpenReader(archive)
		require.NoError(t, err)
		defer zr.Close()
		for _, f := range zr.File {
			rc, err := f.Open()
			require.NoError(t, err)
			write(f.Name, rc)
			require.NoError(t, rc.Close())
			entries[f.Name] = entry{f.Mode(), f.Modified}
		}
		return dir, entries
	}
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, byte(tar.TypeReg), h.Typeflag, "%s is a regular file", h.Name)
		write(h.Name, tr)
		entries[h.Name] = entry{h.FileInfo().Mode(), h.ModTime}
	}
	return dir, entries
}

// fileContains reports whether needle occurs in the file, reading it a
// megabyte at a time.
func fileContains(t *testing.T, path string, needle []byte) bool {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, 0, 1<<20+len(needle))
	chunk := make([]byte, 1<<20)
	for {
		n, err := f.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if bytes.Contains(buf, needle) {
			return true
		}
		if keep := len(needle) - 1; len(buf) > keep {
			buf = append(buf[:0], buf[len(buf)-keep:]...)
		}
		if errors.Is(err, io.EOF) {
			return false
		}
		require.NoError(t, err)
	}
}

// checkExecutable: the binary is for the platform its archive names, static
// where the platform allows it, stripped, and holds no path of this checkout.
func checkExecutable(t *testing.T, goos, goarch, exe, root string) {
	t.Helper()
	switch goos {
	case "linux":
		f, err := elf.Open(exe)
		require.NoError(t, err)
		defer f.Close()
		assert.Equal(t, map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch], f.Machine)
		for _, p := range f.Progs {
			assert.NotEqual(t, elf.PT_INTERP, p.Type, "statically linked (CGO_ENABLED=0): no dynamic loader")
		}
		libs, err := f.ImportedLibraries()
		require.NoError(t, err)
		assert.Empty(t, libs, "statically linked")
		assert.Nil(t, f.Section(".symtab"), "stripped (-s)")
		assert.Nil(t, f.Section(".debug_info"), "no DWARF (-w)")
	case "darwin":
		f, err := macho.Open(exe)
		require.NoError(t, err)
		defer f.Close()
		assert.Equal(t, map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch], f.Cpu)
		assert.Nil(t, f.Section("__debug_info"), "no DWARF (-w)")
	case "windows":
		f, err := pe.Open(exe)
		require.NoError(t, err)
		defer f.Close()
		assert.Equal(t, map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[goarch], f.Machine)
	}
	assert.False(t, fileContains(t, exe, []byte(root+string(filepath.Separator))), "-trimpath: the binary holds no path of the checkout %s", root)
}
