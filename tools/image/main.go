// Command image builds errconform's container image reproducibly and writes
// it as an OCI archive (an OCI image layout in a tar), with no registry and
// no base image: `make image` runs it with the release's version and commit.
//
//	go run ./tools/image -out dist/errconform-image.tar -version 0.1.0 -commit abc123
//
// It prints the image's name and digest. The archive is read by
// `skopeo inspect oci-archive:dist/errconform-image.tar` and pushed with
// `skopeo copy oci-archive:dist/errconform-image.tar docker://REGISTRY/NAME:TAG`.
// The creation time (and every file's mtime) is -source-date-epoch, which
// defaults to $SOURCE_DATE_EPOCH, else 0: the same inputs give the same digest.
// The image itself is described in package imagebuild.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/errconform/errconform/tools/image/imagebuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags, builds the image and returns the exit code: 0 when
// the archive was written, 1 when the build failed, 2 for a usage mistake.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := imagebuild.Options{Log: stderr}
	var platforms, epoch string
	fs.StringVar(&o.Out, "out", "dist/errconform-image.tar", "write the OCI archive to `FILE`")
	fs.StringVar(&o.Version, "version", "0.0.0-dev", "the `VERSION` compiled in and set as the version label")
	fs.StringVar(&o.Commit, "commit", "unknown", "the `COMMIT` compiled in and set as the revision label")
	fs.StringVar(&epoch, "source-date-epoch", getenv("SOURCE_DATE_EPOCH"), "creation time and file mtimes, in `SECONDS` since the Unix epoch (default $SOURCE_DATE_EPOCH, else 0)")
	fs.StringVar(&platforms, "platforms", platformsString(imagebuild.DefaultPlatforms()), "comma-separated `PLATFORMS` (OS/ARCH); several make an image index")
	fs.StringVar(&o.CABundle, "ca-bundle", imagebuild.DefaultCABundle, "the PEM `FILE` of CA certificates copied into the image (Debian's ca-certificates)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "image: unexpected arguments %q\n", fs.Args())
		return 2
	}
	created, err := parseEpoch(epoch)
	if err != nil {
		fmt.Fprintf(stderr, "image: %v\n", err)
		return 2
	}
	o.Created = created
	for _, s := range strings.Split(platforms, ",") {
		p, err := imagebuild.ParsePlatform(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintf(stderr, "image: %v\n", err)
			return 2
		}
		o.Platforms = append(o.Platforms, p)
	}
	res, err := imagebuild.Build(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s@%s\n", res.Ref, res.Digest)
	return 0
}

// parseEpoch reads SOURCE_DATE_EPOCH: whole seconds, empty for 0.
func parseEpoch(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("source date epoch %q is not a whole number of seconds since 1970", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// platformsString writes platforms as the -platforms flag reads them.
func platformsString(ps []v1.Platform) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.OS + "/" + p.Architecture
	}
	return strings.Join(out, ",")
}
