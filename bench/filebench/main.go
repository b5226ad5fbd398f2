// Command filebench drives the file collector alone from the command line
// for bench/file.sh, and generates the MIG investigation that bench/file.sh
// then runs with the real CLI (assay mig import, assay scan). It is a
// benchmark harness only, not part of assay.
//
//	filebench walk  ROOT REGEX      # walk + name match, prints the match count
//	filebench hash  ROOT            # sha256 of every file, prints the count
//	filebench gen-mig N ROOT OUT    # write a MIG action with N per-user searches
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/assay-dev/assay/collectors/file"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/targets"
)

func main() {
	if p := os.Getenv("FILEBENCH_CPUPROFILE"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "filebench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: filebench walk ROOT REGEX | hash ROOT | gen-mig N ROOT OUT")
	}
	switch args[0] {
	case "walk":
		n, err := collect(args[1], fmt.Sprintf("paths = [\"/\"]\nname = %q", args[2]))
		fmt.Println(n)
		return err
	case "hash":
		n, err := collect(args[1], "paths = [\"/\"]\nhashes = [\"sha256\"]")
		fmt.Println(n)
		return err
	case "gen-mig":
		return genMIG(args[1], args[2], args[3])
	}
	return fmt.Errorf("unknown mode %q", args[0])
}

type counter struct {
	docs  []document.Document
	skips int
}

func (c *counter) Emit(d document.Document) { c.docs = append(c.docs, d) }
func (c *counter) Skip(string, error)       { c.skips++ }

func collect(root, body string) (int, error) {
	f, diags := hclparse.NewParser().ParseHCL([]byte("collect \"file\" \"b\" {\n"+body+"\n}\n"), "bench.hcl")
	if diags.HasErrors() {
		return 0, diags
	}
	content, _ := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "collect", LabelNames: []string{"k", "n"}}}})
	c, diags := file.Type().New(content.Blocks[0].Body, nil)
	if diags.HasErrors() {
		return 0, diags
	}
	t, err := targets.OpenDir(root)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	var em counter
	err = c.Collect(context.Background(), collector.Env{Target: t, Name: "b"}, &syncCounter{c: &em, mu: make(chan struct{}, 1)})
	return len(em.docs), err
}

type syncCounter struct {
	c  *counter
	mu chan struct{}
}

func (s *syncCounter) Emit(d document.Document) { s.lock(); s.c.Emit(d); s.unlock() }
func (s *syncCounter) Skip(p string, e error)   { s.lock(); s.c.Skip(p, e); s.unlock() }
func (s *syncCounter) lock() {
	if s.mu == nil {
		panic("unreachable")
	}
	s.mu <- struct{}{}
}
func (s *syncCounter) unlock() { <-s.mu }

// genMIG writes a MIG action with one search per user home under ROOT/home,
// as the MIG documentation's authorized_keys investigation does, and the
// tree itself: every user has an authorized_keys, one in 100 a rogue key.
func genMIG(nStr, root, out string) error {
	var n int
	if _, err := fmt.Sscan(nStr, &n); err != nil {
		return err
	}
	searches := map[string]any{}
	for i := range n {
		user := fmt.Sprintf("user%05d", i)
		key := fmt.Sprintf("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%040d", i)
		dir := fmt.Sprintf("%s/home/%s/.ssh", root, user)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		body := "# " + user + "\n" + key + " " + user + "@host\n"
		if i%100 == 0 {
			body += "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRogue mallory@evil\n"
		}
		if err := os.WriteFile(dir+"/authorized_keys", []byte(body), 0o600); err != nil {
			return err
		}
		os.WriteFile(dir+"/known_hosts", []byte("host ssh-ed25519 AAAA\n"), 0o600)
		searches[user] = map[string]any{
			"paths":    []string{"/home/" + user + "/.ssh/"},
			"names":    []string{"^authorized_keys2?$"},
			"contents": []string{`^((#.*)|(\s*)|(` + key + ` .*))$`},
			"options":  map[string]any{"macroal": true, "matchall": true, "maxdepth": 1, "mismatch": []string{"content"}},
		}
	}
	action := map[string]any{"name": "authorized_keys", "syntaxversion": 2,
		"operations": []any{map[string]any{"module": "file", "parameters": map[string]any{"searches": searches}}}}
	b, _ := json.Marshal(action)
	return os.WriteFile(out, b, 0o644)
}
