// Command image builds Weir's container image without Docker: the static weir-controller
// and kubectl-weir binaries in one layer on an empty base, written as a tarball that
// `crane push`, `docker load`, `kind load image-archive` and `podman load` accept.
//
//	go run ./hack/image [-version v0.1.0] [-out bin/weir-controller-image.tar]
//	crane push bin/weir-controller-image.tar ghcr.io/weir-dev/weir-controller:v0.1.0
//
// The binaries are built here, with CGO_ENABLED=0 -trimpath -ldflags "-s -w -X
// main.version=<version>", so the image never holds a binary built with other settings.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// nonroot is the uid/gid the image runs as (distroless' "nonroot"); the Helm chart's
// securityContext uses the same numbers.
const nonroot = 65532

// defaultCABundle is Debian's (and most distributions') bundle of public CA certificates.
const defaultCABundle = "/etc/ssl/certs/ca-certificates.crt"

// binaries go to the image's root; the first is the entrypoint.
var binaries = []string{"weir-controller", "kubectl-weir"}

func main() {
	version := flag.String("version", "", "version stamped into the binaries, the image label and the tag (default: git describe --tags --always --dirty)")
	repository := flag.String("repository", "ghcr.io/weir-dev/weir-controller", "repository of the image's tag")
	out := flag.String("out", "bin/weir-controller-image.tar", "tarball to write")
	arch := flag.String("arch", runtime.GOARCH, "GOARCH of the binaries (the image is linux/<arch>)")
	caBundle := flag.String("ca-bundle", defaultCABundle, "CA certificates to ship, so analysis can reach Prometheus over HTTPS (empty: none)")
	flag.Parse()
	if _, err := os.Stat(*caBundle); *caBundle == defaultCABundle && err != nil {
		fmt.Fprintf(os.Stderr, "image: no %s on this machine (apt-get install ca-certificates): the image has no CA certificates\n", defaultCABundle)
		*caBundle = ""
	}

	if err := run(*version, *repository, *out, *arch, *caBundle); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(version, repository, out, arch, caBundle string) error {
	if version == "" {
		v, err := git("describe", "--tags", "--always", "--dirty")
		if err != nil {
			return fmt.Errorf("no -version and git describe failed: %w", err)
		}
		version = v
	}
	tag, err := name.NewTag(repository + ":" + tagSafe(version))
	if err != nil {
		return err
	}
	created := commitTime()

	work, err := os.MkdirTemp("", "weir-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	files := map[string]string{} // path in the image → file on disk
	for _, bin := range binaries {
		path := filepath.Join(work, bin)
		if err := build(bin, path, version, arch); err != nil {
			return err
		}
		files["/"+bin] = path
	}
	if caBundle != "" {
		files["/etc/ssl/certs/ca-certificates.crt"] = caBundle
	}

	layer, err := layerOf(files, created)
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Created = v1.Time{Time: created}
	for i := range cfg.History {
		cfg.History[i].Created = v1.Time{Time: created}
		cfg.History[i].CreatedBy = "go run ./hack/image -version " + version
	}
	cfg.Config.Entrypoint = []string{"/" + binaries[0]}
	cfg.Config.User = fmt.Sprintf("%d:%d", nonroot, nonroot)
	cfg.Config.Env = []string{"PATH=/", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.title":   "weir-controller",
		"org.opencontainers.image.version": version,
		"org.opencontainers.image.source":  "https://github.com/weir-dev/weir",
	}
	if rev, err := git("rev-parse", "HEAD"); err == nil {
		cfg.Config.Labels["org.opencontainers.image.revision"] = rev
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s: %s (%s, linux/%s)\npush it with: crane push %s %s\n", out, tag, digest, arch, out, tag)
	return nil
}

// build compiles ./cmd/<bin> as a static Linux binary stamped with version.
func build(bin, out, version, arch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", out, "./cmd/"+bin)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s: %w", bin, err)
	}
	return nil
}

// layerOf makes one layer holding files, owned by root and executable (read-only for the
// non-root user), with fixed timestamps so the same inputs give the same digest.
func layerOf(files map[string]string, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, path := range sortedKeys(files) {
		for dir := filepath.Dir(path); dir != "/"; dir = filepath.Dir(dir) {
			dirs[dir] = true
		}
	}
	for _, dir := range sortedKeys(dirs) {
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(dir, "/") + "/", Mode: 0o755, ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
	}
	for _, path := range sortedKeys(files) {
		data, err := os.ReadFile(files[path])
		if err != nil {
			return nil, err
		}
		mode := int64(0o755)
		if strings.HasPrefix(path, "/etc/") {
			mode = 0o644
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(path, "/"), Mode: mode, Size: int64(len(data)), ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// sortedKeys orders paths so that a directory comes before what it holds.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// tagSafe turns a version into a valid image tag ([A-Za-z0-9_.-], at most 128 characters):
// semver build metadata "+x" becomes "-x".
func tagSafe(version string) string {
	s := regexp.MustCompile(`[^A-Za-z0-9_.-]`).ReplaceAllString(version, "-")
	s = strings.TrimLeft(s, ".-")
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}

// commitTime is SOURCE_DATE_EPOCH, else the last commit's time, else the Unix epoch: never
// the build's own time, so rebuilding a commit gives the same image.
func commitTime() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	if s, err := git("log", "-1", "--format=%ct"); err == nil {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

func git(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	return strings.TrimSpace(string(out)), err
}
