package packaging

import (
	"archive/tar"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	. "github.com/onsi/gomega"
)

// TestImage builds the image as `make image` does (go run ./hack/image) and checks what a
// registry and a kubelet would get: a valid image whose config runs /weir-controller as
// the chart's non-root user, with static binaries built at the version it is labelled with.
func TestImage(t *testing.T) {
	g := NewWithT(t)
	const version = "v1.2.3-packaging-test"
	out := filepath.Join(t.TempDir(), "weir-controller-image.tar")
	cmd := exec.Command("go", "run", "./hack/image", "-version", version, "-out", out)
	cmd.Dir = repoPath(t)
	output, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(output))
	g.Expect(string(output)).To(ContainSubstring("crane push " + out + " ghcr.io/weir-dev/weir-controller:" + version))

	tag, err := name.NewTag("ghcr.io/weir-dev/weir-controller:" + version)
	g.Expect(err).NotTo(HaveOccurred())
	img, err := tarball.ImageFromPath(out, &tag)
	g.Expect(err).NotTo(HaveOccurred(), "the tarball holds the tag %s", tag)
	g.Expect(validate.Image(img)).To(Succeed(), "digests, diff IDs, sizes and config agree")

	cfg, err := img.ConfigFile()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.OS).To(Equal("linux"))
	g.Expect(cfg.Architecture).To(Equal(runtime.GOARCH))
	g.Expect(cfg.Config.Entrypoint).To(Equal([]string{"/weir-controller"}))
	g.Expect(cfg.Config.User).To(Equal("65532:65532"), "the chart's runAsUser")
	g.Expect(cfg.Config.Labels).To(HaveKeyWithValue("org.opencontainers.image.version", version))

	layers, err := img.Layers()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(layers).To(HaveLen(1), "one layer on an empty base")
	rc, err := layers[0].Uncompressed()
	g.Expect(err).NotTo(HaveOccurred())
	defer rc.Close()
	files := map[string][]byte{}
	modes := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(hdr.Uid).To(BeZero(), "%s: owned by root, so the non-root user can't change it", hdr.Name)
		if hdr.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			g.Expect(err).NotTo(HaveOccurred())
			files["/"+hdr.Name], modes["/"+hdr.Name] = data, hdr.Mode
		}
	}

	for _, bin := range []string{"/weir-controller", "/kubectl-weir"} {
		data, ok := files[bin]
		g.Expect(ok).To(BeTrue(), "%s in the layer", bin)
		g.Expect(modes[bin]).To(Equal(int64(0o755)), bin)

		f, err := elf.NewFile(bytes.NewReader(data))
		g.Expect(err).NotTo(HaveOccurred(), "%s is a Linux binary", bin)
		g.Expect(f.Section(".interp")).To(BeNil(), "%s is static: the image has no libc", bin)

		info, err := buildinfo.Read(bytes.NewReader(data))
		g.Expect(err).NotTo(HaveOccurred())
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		g.Expect(settings).To(HaveKeyWithValue("CGO_ENABLED", "0"), bin)
		g.Expect(settings).To(HaveKeyWithValue("-trimpath", "true"), bin)
		g.Expect(settings).To(HaveKeyWithValue("GOOS", "linux"), bin)
		g.Expect(f.Section(".symtab")).To(BeNil(), "%s is stripped (-s -w)", bin)
	}

	// kubectl-weir carries the version it was stamped with (-X main.version; -trimpath keeps
	// -ldflags out of the build info) and reports it. weir-controller has no main.version yet.
	g.Expect(bytes.Contains(files["/kubectl-weir"], []byte(version))).To(BeTrue())
	plugin := filepath.Join(t.TempDir(), "kubectl-weir")
	g.Expect(os.WriteFile(plugin, files["/kubectl-weir"], 0o755)).To(Succeed())
	printed, err := exec.Command(plugin, "version").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(printed))
	g.Expect(string(printed)).To(ContainSubstring(version))
}
