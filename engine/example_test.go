package engine_test

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/engine"
)

func ExampleEngine_Eval() {
	const src = `package assay.ssh.password_auth

deny contains {"msg": "password authentication is enabled", "line": input.sources.passwordauthentication.line} if {
	input.settings.passwordauthentication == "yes"
}`
	mod, err := ast.ParseModuleWithOpts("password_auth.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &bundle.Module{Filename: "password_auth.rego", Source: []byte(src), Parsed: mod}
	b := &bundle.Bundle{
		Name:    "ssh-baseline",
		Modules: []*bundle.Module{m},
		Policies: []*bundle.Policy{{
			ID:          "sshd-password-auth",
			Title:       "Password authentication is disabled",
			Severity:    report.SeverityHigh,
			Enforcement: report.Mandatory,
			Inputs:      []string{"sshd_config.main"},
			Mode:        bundle.PerDocument,
			Package:     mod.Package.Path,
			Module:      m,
		}},
	}

	ctx := context.Background()
	eng, err := engine.New(ctx, []*bundle.Bundle{b})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := eng.Eval(ctx, engine.Input{
		Target: target.Info{Kind: target.KindHost, Name: "/"},
		Documents: []document.Entry{{
			Bundle:      "ssh-baseline",
			CollectorID: "sshd_config.main",
			Document: document.Document{
				"kind": "sshd_config", "collector": "main", "path": "/etc/ssh/sshd_config",
				"settings": map[string]any{"passwordauthentication": "yes"},
				"sources":  map[string]any{"passwordauthentication": map[string]any{"path": "/etc/ssh/sshd_config", "line": 58}},
			},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Findings {
		fmt.Printf("%s %s %s: %s\n", f.Severity, f.PolicyID, f.Location(), f.Message)
	}
	for _, p := range res.Policies {
		fmt.Printf("%s: %s over %d document(s)\n", p.ID, p.Status, p.Documents)
	}
	// Output:
	// high sshd-password-auth /etc/ssh/sshd_config:58: password authentication is enabled
	// sshd-password-auth: fail over 1 document(s)
}
