// Command sshdscan is a BENCH-ONLY driver: it runs the ssh-baseline bundle
// (sshd_config collector + the bundle's Rego) on a root directory and prints
// the failing policies, standing in for `assay scan -b policies/ssh-baseline
// --root DIR` until that command exists. bench/sshd.sh times it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/assay-dev/assay/collectors/sshd"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/targets"
)

type sink struct{ docs []document.Document }

func (s *sink) Emit(d document.Document) { s.docs = append(s.docs, d) }
func (*sink) Skip(string, error)         {}

var policyRe = regexp.MustCompile(`(?s)policy "([^"]+)" \{.*?rego\s*= file\("([^"]+)"\)`)

func main() {
	root := flag.String("root", "/", "target root")
	bundle := flag.String("bundle", "policies/ssh-baseline", "bundle directory")
	user := flag.String("user", "root", "connection spec user (Match)")
	addr := flag.String("addr", "", "connection spec address (Match)")
	flag.Parse()
	if err := run(*root, *bundle, *user, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "sshdscan:", err)
		os.Exit(3)
	}
}

func run(root, bundle, user, addr string) error {
	start := time.Now()
	hclSrc, err := os.ReadFile(filepath.Join(bundle, "bundle.hcl"))
	if err != nil {
		return err
	}
	lib, err := os.ReadFile(filepath.Join(bundle, "rego/lib.rego"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	type prepared struct {
		id string
		q  rego.PreparedEvalQuery
	}
	var qs []prepared
	for _, m := range policyRe.FindAllStringSubmatch(string(hclSrc), -1) {
		src, err := os.ReadFile(filepath.Join(bundle, m[2]))
		if err != nil {
			return err
		}
		pkg := strings.Fields(strings.SplitN(string(src), "package ", 2)[1])[0]
		q, err := rego.New(rego.Query("data."+pkg+".deny"), rego.Module("lib.rego", string(lib)), rego.Module(m[2], string(src))).PrepareForEval(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", m[1], err)
		}
		qs = append(qs, prepared{m[1], q})
	}
	tgt, err := targets.OpenDir(root)
	if err != nil {
		return err
	}
	defer tgt.Close()
	c, diags := sshd.Type().New(hcl.EmptyBody(), nil)
	if diags.HasErrors() {
		return diags
	}
	c.(*sshd.Collector).Specs = []sshd.ConnInfo{{User: user, Addr: addr}}
	s := &sink{}
	if err := c.Collect(ctx, collector.Env{Target: tgt, Name: "main"}, s); err != nil {
		return err
	}
	doc := s.docs[len(s.docs)-1]
	var out []string
	for _, p := range qs {
		rs, err := p.q.Eval(ctx, rego.EvalInput(map[string]any(doc)))
		if err != nil {
			return err
		}
		for _, r := range rs {
			for _, v := range r.Expressions[0].Value.([]any) {
				m := v.(map[string]any)
				out = append(out, fmt.Sprintf("%s\t%v:%v\t%v", p.id, m["path"], m["line"], m["msg"]))
			}
		}
	}
	sort.Strings(out)
	for _, l := range out {
		fmt.Println(l)
	}
	fmt.Fprintf(os.Stderr, "elapsed %s\n", time.Since(start))
	return nil
}
