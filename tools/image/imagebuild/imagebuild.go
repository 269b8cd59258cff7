// Package imagebuild owns errconform's container image: it cross-builds the
// static errconform binary exactly as `make dist` does, assembles a minimal
// image around it from scratch (CA certificates, a non-root user, /tmp, no
// shell), and writes it reproducibly as an OCI image layout archive that
// `skopeo inspect oci-archive:FILE` and `skopeo copy` read. No base image is
// pulled: everything in the image is built here, so no registry is needed.
//
// Two builds from the same source, toolchain, CA bundle, version, commit and
// creation time give byte-identical archives (and so the same digests): the
// binary is built with -trimpath and -buildvcs=false, every file in the layer
// and in the archive has the creation time as its mtime, owner 0 or 65532 and
// a fixed mode, entries are sorted, and gzip writes no timestamp.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Names and places that other files (the Kubernetes manifests in deploy/,
// their test, the README) rely on.
const (
	// Repository is the image's name without a tag: the name `make image`
	// tags the archive with (Ref) and the one deploy/kubernetes runs.
	Repository = "ghcr.io/errconform/errconform"
	// Source is the project's home, the org.opencontainers.image.source label.
	Source = "https://github.com/errconform/errconform"
	// Module is the Go module the binary is built from.
	Module = "github.com/errconform/errconform"
	// Binary is the binary's path in the image, its entrypoint.
	Binary = "/errconform"
	// CABundle is where the image keeps its CA certificates (Debian's path,
	// which Go's crypto/x509 reads; SSL_CERT_FILE names it too).
	CABundle = "/etc/ssl/certs/ca-certificates.crt"
	// DefaultCABundle is the build machine's bundle that is copied in:
	// Debian's ca-certificates package.
	DefaultCABundle = "/etc/ssl/certs/ca-certificates.crt"
	// UID and GID are the non-root user and group the image runs as
	// (distroless' "nonroot").
	UID = 65532
	GID = 65532
	// User is the config's User field.
	User = "65532:65532"
)

// Label keys set on the image config.
const (
	LabelVersion     = "org.opencontainers.image.version"
	LabelRevision    = "org.opencontainers.image.revision"
	LabelSource      = "org.opencontainers.image.source"
	LabelLicenses    = "org.opencontainers.image.licenses"
	LabelTitle       = "org.opencontainers.image.title"
	LabelDescription = "org.opencontainers.image.description"
	LabelCreated     = "org.opencontainers.image.created"
)

// DefaultPlatforms are the platforms an image index holds by default:
// linux/amd64 and linux/arm64.
func DefaultPlatforms() []v1.Platform {
	return []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}
}

// Options say what to build.
type Options struct {
	// Out is the OCI archive to write (an OCI image layout in a tar).
	Out string
	// Version and Commit are compiled in (runner.Version, runner.Commit)
	// and set as labels. Letters, digits and . + _ - only, as make dist.
	Version string
	Commit  string
	// Created is the image's creation time and every file's mtime
	// (SOURCE_DATE_EPOCH); the zero Time means the Unix epoch.
	Created time.Time
	// Platforms to build; DefaultPlatforms() when empty. One platform gives
	// an image manifest, several an image index.
	Platforms []v1.Platform
	// CABundle is the PEM bundle to copy in; DefaultCABundle when empty.
	CABundle string
	// ModuleDir is the errconform module's root; found with `go env GOMOD`
	// from the working directory when empty.
	ModuleDir string
	// Go is the go command; "go" when empty.
	Go string
	// Log receives one line per step; nil discards them.
	Log io.Writer
}

// Result describes the archive written.
type Result struct {
	// Digest is the digest of the top-level manifest: the image index (or
	// the image manifest, for one platform), as a registry would show it.
	Digest v1.Hash
	// MediaType is the top-level manifest's media type.
	MediaType types.MediaType
	// Ref is the name the archive is tagged with, Repository:tag.
	Ref string
	// Tag is the tag: Version with + written as _ (a tag cannot hold +).
	Tag string
}

var (
	versionChars = regexp.MustCompile(`^[A-Za-z0-9.+_-]+$`)
	commitChars  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// TagFor is the image tag for a version: + is not allowed in a tag, so it
// becomes _ (the label keeps the version as it is).
func TagFor(version string) string { return strings.ReplaceAll(version, "+", "_") }

// Build builds the image and writes the archive to o.Out.
func Build(ctx context.Context, o Options) (Result, error) {
	if err := o.normalize(); err != nil {
		return Result{}, err
	}
	caPEM, err := readCABundle(o.CABundle)
	if err != nil {
		return Result{}, err
	}
	work, err := os.MkdirTemp("", "errconform-image-")
	if err != nil {
		return Result{}, fmt.Errorf("image: temporary directory: %w", err)
	}
	defer os.RemoveAll(work)

	images := make([]v1.Image, 0, len(o.Platforms))
	for _, p := range o.Platforms {
		bin := filepath.Join(work, "bin-"+p.OS+"-"+p.Architecture, "errconform")
		o.logf("image: building %s for %s", Binary, platformString(p))
		if err := o.buildBinary(ctx, p, bin); err != nil {
			return Result{}, err
		}
		img, err := o.image(p, bin, caPEM)
		if err != nil {
			return Result{}, fmt.Errorf("image: %s: %w", platformString(p), err)
		}
		images = append(images, img)
	}

	res := Result{Tag: TagFor(o.Version)}
	res.Ref = Repository + ":" + res.Tag
	annotations := map[string]string{
		"org.opencontainers.image.ref.name": res.Tag,
		"io.containerd.image.name":          res.Ref,
	}
	lay, err := layout.Write(filepath.Join(work, "layout"), empty.Index)
	if err != nil {
		return Result{}, fmt.Errorf("image: OCI layout: %w", err)
	}
	if len(images) == 1 {
		if res.Digest, err = images[0].Digest(); err != nil {
			return Result{}, fmt.Errorf("image: digest: %w", err)
		}
		res.MediaType = types.OCIManifestSchema1
		err = lay.AppendImage(images[0], layout.WithAnnotations(annotations))
	} else {
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for i, img := range images {
			p := o.Platforms[i]
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
		}
		if res.Digest, err = idx.Digest(); err != nil {
			return Result{}, fmt.Errorf("image: index digest: %w", err)
		}
		res.MediaType = types.OCIImageIndex
		err = lay.AppendIndex(idx, layout.WithAnnotations(annotations))
	}
	if err != nil {
		return Result{}, fmt.Errorf("image: writing the OCI layout: %w", err)
	}
	if err := writeArchive(string(lay), o.Out, o.Created); err != nil {
		return Result{}, err
	}
	o.logf("image: wrote %s (%s, %s)", o.Out, res.Ref, res.Digest)
	return res, nil
}

func (o *Options) normalize() error {
	if o.Out == "" {
		return errors.New("image: no output archive given")
	}
	if !versionChars.MatchString(o.Version) {
		return fmt.Errorf("image: version %q may hold only letters, digits and . + _ -", o.Version)
	}
	if !commitChars.MatchString(o.Commit) {
		return fmt.Errorf("image: commit %q may hold only letters, digits and . _ -", o.Commit)
	}
	if o.Created.IsZero() {
		o.Created = time.Unix(0, 0)
	}
	o.Created = o.Created.UTC().Truncate(time.Second)
	if len(o.Platforms) == 0 {
		o.Platforms = DefaultPlatforms()
	}
	seen := map[string]bool{}
	for _, p := range o.Platforms {
		if p.OS != "linux" || p.Architecture == "" {
			return fmt.Errorf("image: platform %q: only linux/ARCH images are built", platformString(p))
		}
		if seen[platformString(p)] {
			return fmt.Errorf("image: platform %s is listed twice", platformString(p))
		}
		seen[platformString(p)] = true
	}
	if o.CABundle == "" {
		o.CABundle = DefaultCABundle
	}
	if o.Go == "" {
		o.Go = "go"
	}
	if o.ModuleDir == "" {
		out, err := exec.Command(o.Go, "env", "GOMOD").Output()
		if err != nil {
			return fmt.Errorf("image: finding the module root (go env GOMOD): %w", err)
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			return errors.New("image: not inside the errconform module: run it from the repository or set the module directory")
		}
		o.ModuleDir = filepath.Dir(gomod)
	}
	return nil
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// ParsePlatform reads "linux/amd64" or "linux/arm64/v8".
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, fmt.Errorf("platform %q is not OS/ARCH[/VARIANT]", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	} else if p.Architecture == "arm64" {
		p.Variant = "v8"
	}
	return p, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// readCABundle reads the PEM bundle and checks it holds certificates.
func readCABundle(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("image: no CA bundle at %s: install Debian's ca-certificates (apt-get install ca-certificates) or name another PEM bundle: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("image: reading the CA bundle: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("image: the CA bundle %s holds no PEM certificate", path)
	}
	return data, nil
}

// buildBinary builds cmd/errconform as `make dist` does: static, trimmed,
// stripped, with the version and commit compiled in.
func (o *Options) buildBinary(ctx context.Context, p v1.Platform, out string) error {
	ldflags := fmt.Sprintf("-s -w -X %[1]s/runner.Version=%[2]s -X %[1]s/runner.Commit=%[3]s", Module, o.Version, o.Commit)
	cmd := exec.CommandContext(ctx, o.Go, "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/errconform")
	cmd.Dir = o.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	if p.Architecture == "arm" && strings.HasPrefix(p.Variant, "v") {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("image: go build for %s: %w\n%s", platformString(p), err, output)
	}
	return nil
}

// image assembles one platform's image: one layer on empty.Image.
func (o *Options) image(p v1.Platform, bin string, caPEM []byte) (v1.Image, error) {
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("reading the binary: %w", err)
	}
	layerTar, err := rootFS(exe, caPEM, o.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	created := v1.Time{Time: o.Created}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History: v1.History{
			Created:   created,
			CreatedBy: "go run ./tools/image (errconform " + o.Version + ")",
			Comment:   "errconform, CA certificates, /etc/passwd and /etc/group, /tmp",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("appending the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = created
	cf.OS = p.OS
	cf.Architecture = p.Architecture
	cf.Variant = p.Variant
	cf.Author = ""
	cf.Container = ""
	cf.Config = v1.Config{
		User:       User,
		Entrypoint: []string{Binary},
		WorkingDir: "/",
		Env:        []string{"SSL_CERT_FILE=" + CABundle},
		Labels: map[string]string{
			LabelVersion:     o.Version,
			LabelRevision:    o.Commit,
			LabelSource:      Source,
			LabelLicenses:    "Apache-2.0",
			LabelTitle:       "errconform",
			LabelDescription: "Conformance harness for an OpenAI-compatible API's error contract",
			LabelCreated:     o.Created.Format(time.RFC3339),
		},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return img, nil
}

// entry is one file or directory of the image's root file system.
type entry struct {
	name string // relative, no leading /; directories end in /
	mode int64
	uid  int
	data []byte
}

// rootFS is the layer's uncompressed tar: sorted entries, fixed owners,
// modes and mtimes.
func rootFS(exe, caPEM []byte, mtime time.Time) ([]byte, error) {
	const passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	const group = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
	entries := []entry{
		{name: strings.TrimPrefix(Binary, "/"), mode: 0o755, data: exe},
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: strings.TrimPrefix(CABundle, "/"), mode: 0o644, data: caPEM},
		{name: "home/", mode: 0o755},
		{name: "home/nonroot/", mode: 0o700, uid: UID},
		{name: "tmp/", mode: 0o1777},
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: mtime, Format: tar.FormatPAX}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer: %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("layer: %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	return buf.Bytes(), nil
}

// writeArchive tars the OCI layout directory dir into out: entries sorted,
// owner 0, directories 0755, files 0644, every mtime the creation time. It
// writes a temporary file beside out and renames it, so a failed build
// leaves no half archive.
func writeArchive(dir, out string, mtime time.Time) (err error) {
	var names []string
	if err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir {
			names = append(names, path)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("image: reading the OCI layout: %w", err)
	}
	sort.Strings(names)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".errconform-image-*.tar")
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	tw := tar.NewWriter(f)
	for _, path := range names {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		info, err := os.Lstat(path)
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: mtime, Format: tar.FormatPAX}
		var data []byte
		switch {
		case info.IsDir():
			h.Typeflag, h.Mode, h.Name = tar.TypeDir, 0o755, h.Name+"/"
		case info.Mode().IsRegular():
			if data, err = os.ReadFile(path); err != nil {
				return fmt.Errorf("image: %w", err)
			}
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, int64(len(data))
		default:
			return fmt.Errorf("image: unexpected file %s in the OCI layout", rel)
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("image: archive: %w", err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("image: archive: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("image: archive: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("image: archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("image: archive: %w", err)
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return fmt.Errorf("image: archive: %w", err)
	}
	return nil
}
