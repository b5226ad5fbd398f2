package file

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/testenv"
)

// genTree writes a reproducible tree of n files with varied names, depths
// and contents, for the oracle tests.
func genTree(t testing.TB, root string, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	exts := []string{".conf", ".txt", ".log", "", ".key", ".CONF"}
	words := []string{"alpha", "beta", "PermitRootLogin yes", "PermitRootLogin no", "ssh-rsa AAAA", "# comment", "", "\tindent", "zeta 42"}
	for i := range n {
		depth := rng.IntN(5)
		parts := []string{root}
		for d := range depth {
			parts = append(parts, fmt.Sprintf("d%d_%d", d, rng.IntN(4)))
		}
		name := fmt.Sprintf("f%d%s", i, exts[rng.IntN(len(exts))])
		p := filepath.Join(append(parts, name)...)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte('\n')
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// oraclePackages are the Debian packages of the oracle tools.
var oraclePackages = map[string]string{"find": "findutils", "grep": "grep", "sha256sum": "coreutils"}

func oracle(t *testing.T, name string, args ...string) []string {
	t.Helper()
	bin := testenv.RequireTool(t, name, oraclePackages[name])
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !(ok && ee.ExitCode() == 1 && name == "grep") {
			t.Fatalf("%s %v: %v", name, args, err)
		}
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
	}
	sort.Strings(lines)
	return lines
}

func TestOracles(t *testing.T) {
	root := t.TempDir()
	genTree(t, root, 1500, 7)
	tgt := openDir(t, root)
	strip := func(paths []string) []string {
		out := make([]string, len(paths))
		for i, p := range paths {
			out[i] = strings.TrimPrefix(p, root)
		}
		return out
	}

	t.Run("find -regex", func(t *testing.T) {
		want := strip(oracle(t, "find", root, "-type", "f", "-regextype", "posix-extended", "-regex", `.*/f[0-9]*7\.(conf|key)`))
		rec := collect(t, mustCollector(t, `
  paths = ["/"]
  name = "^f[0-9]*7\\.(conf|key)$"`), tgt)
		if got := rec.paths(); !reflect.DeepEqual(got, want) || len(want) == 0 {
			t.Errorf("got %d files, find %d\n got %v\nwant %v", len(got), len(want), got, want)
		}
	})
	t.Run("find -maxdepth", func(t *testing.T) {
		want := strip(oracle(t, "find", root, "-maxdepth", "2", "-type", "f", "-name", "*.log"))
		rec := collect(t, mustCollector(t, `
  paths = ["/"]
  maxdepth = 2
  name = "\\.log$"`), tgt)
		if got := rec.paths(); !reflect.DeepEqual(got, want) || len(want) == 0 {
			t.Errorf("got %d, find %d", len(got), len(want))
		}
	})
	t.Run("grep -rlE", func(t *testing.T) {
		want := strip(oracle(t, "grep", "-rlE", "^PermitRootLogin yes$", root))
		rec := collect(t, mustCollector(t, `
  paths = ["/"]
  content = "^PermitRootLogin yes$"`), tgt)
		if got := rec.paths(); !reflect.DeepEqual(got, want) || len(want) == 0 {
			t.Errorf("got %d, grep %d", len(got), len(want))
		}
	})
	t.Run("grep -rLvE (macroal mismatch)", func(t *testing.T) {
		// Files with at least one line that is not a comment or blank:
		// grep -rlvE lists files having a non-matching line.
		want := strip(oracle(t, "grep", "-rlvE", "^(#.*|)$", root))
		rec := collect(t, mustCollector(t, `
  paths = ["/"]
  content = "^(#.*|)$"
  macroal = true
  mismatch = ["content"]`), tgt)
		if got := rec.paths(); !reflect.DeepEqual(got, want) || len(want) == 0 {
			t.Errorf("got %d, grep %d", len(got), len(want))
		}
	})
	t.Run("sha256sum", func(t *testing.T) {
		files := oracle(t, "find", root, "-type", "f", "-name", "*.txt")
		sums := oracle(t, "sha256sum", files...)
		want := map[string]string{}
		for _, l := range sums {
			sum, p, _ := strings.Cut(l, "  ")
			want[strings.TrimPrefix(p, root)] = sum
		}
		rec := collect(t, mustCollector(t, `
  paths = ["/"]
  name = "\\.txt$"
  hashes = ["sha256"]`), tgt)
		got := map[string]string{}
		for _, d := range rec.docs {
			got[d.Path()] = d["hashes"].(map[string]any)["sha256"].(string)
		}
		if !reflect.DeepEqual(got, want) || len(want) == 0 {
			t.Errorf("got %d digests, sha256sum %d", len(got), len(want))
		}
	})
}
