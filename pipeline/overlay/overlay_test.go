package overlay

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/report"
)

// sshBundle is a loaded bundle with two params and three policies.
func sshBundle() *bundle.Bundle {
	param := func(name string, ty cty.Type, def cty.Value) *bundle.Param {
		return &bundle.Param{Name: name, Type: ty, Default: def, Value: def, Description: "the " + name}
	}
	return &bundle.Bundle{
		Name: "ssh-baseline",
		Params: []*bundle.Param{
			param("max_auth_tries", cty.Number, cty.NumberIntVal(4)),
			param("ciphers_allowed", cty.List(cty.String), cty.ListVal([]cty.Value{cty.StringVal("aes256-ctr")})),
		},
		Policies: []*bundle.Policy{
			{ID: "sshd-banner", Title: "A banner is shown", Severity: report.SeverityLow},
			{ID: "sshd-max-auth-tries", Severity: report.SeverityMedium},
			{ID: "sshd-x11-forwarding", Severity: report.SeverityMedium},
		},
	}
}

func parse(t *testing.T, name, src string) *File {
	t.Helper()
	f, diags := Parse([]byte(src), name)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %s", name, diags)
	}
	return f
}

// TestApply: params, disabled policies and severities are applied to
// copies, a later overlay wins, and the tailoring records each change.
func TestApply(t *testing.T) {
	orig := sshBundle()
	l1 := parse(t, "l1.hcl", `overlay "acme-cis-l1" {
  description = "CIS L1"
  bundle "ssh-baseline" {
    params = { max_auth_tries = 3, ciphers_allowed = ["aes256-gcm@openssh.com"] }
    policy "sshd-banner" {
      enabled = false
      reason  = "no banner on lab hosts"
    }
    policy "sshd-x11-forwarding" { severity = "high" }
  }
}`)
	site := parse(t, "site.hcl", `overlay "site" {
  bundle "ssh-baseline" {
    params = { "max_auth_tries" = 2 }
  }
}`)
	out, tl, diags := Apply([]*bundle.Bundle{orig}, []*File{l1, site})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b := out[0]
	if v, _ := b.Param("max_auth_tries").Value.AsBigFloat().Int64(); v != 2 {
		t.Errorf("max_auth_tries = %d, want 2 (the later overlay)", v)
	}
	var ids []string
	for _, p := range b.Policies {
		ids = append(ids, p.ID+":"+p.Severity.String())
	}
	if diff := cmp.Diff([]string{"sshd-max-auth-tries:medium", "sshd-x11-forwarding:high"}, ids); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	// The bundle passed in is untouched.
	if len(orig.Policies) != 3 || orig.Policies[2].Severity != report.SeverityMedium || orig.Param("max_auth_tries").Changed() {
		t.Error("Apply changed the loaded bundle")
	}
	want := &report.Tailoring{
		Overlays: []report.Overlay{
			{Name: "acme-cis-l1", File: "l1.hcl", SHA256: l1.SHA256, Description: "CIS L1"},
			{Name: "site", File: "site.hcl", SHA256: site.SHA256},
		},
		Disabled:   []report.DisabledPolicy{{Bundle: "ssh-baseline", Policy: "sshd-banner", Title: "A banner is shown", Reason: "no banner on lab hosts", Overlay: "acme-cis-l1"}},
		Severities: []report.SeverityChange{{Bundle: "ssh-baseline", Policy: "sshd-x11-forwarding", From: report.SeverityMedium, To: report.SeverityHigh, Overlay: "acme-cis-l1"}},
		Params: []report.ParamSetting{
			{Bundle: "ssh-baseline", Name: "ciphers_allowed", Value: []any{"aes256-gcm@openssh.com"}, Default: []any{"aes256-ctr"}, Overlay: "acme-cis-l1"},
			{Bundle: "ssh-baseline", Name: "max_auth_tries", Value: jsonNumber("2"), Default: jsonNumber("4"), Overlay: "site"},
		},
	}
	if diff := cmp.Diff(want, tl); diff != "" {
		t.Errorf("tailoring (-want +got):\n%s", diff)
	}
	if len(l1.SHA256) != 64 {
		t.Errorf("sha256 %q", l1.SHA256)
	}
}

// TestErrors: every mistake is an error at the overlay's file:line:col
// that says what to do.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		at        string // file:line,col of the diagnostic's subject
		want      string // in summary or detail
	}{
		{"quoted number", `overlay "o" {
  bundle "ssh-baseline" {
    params = { max_auth_tries = "3" }
  }
}`, "o.hcl:3,33", `"3" is a string, not a number. Write max_auth_tries = 3, without quotes.`},
		{"unknown param", `overlay "o" {
  bundle "ssh-baseline" {
    params = { max_auth_trys = 3 }
  }
}`, "o.hcl:3,16", `declares no param "max_auth_trys". Did you mean "max_auth_tries"?`},
		{"unknown policy", `overlay "o" {
  bundle "ssh-baseline" {
    policy "sshd-baner" { severity = "high" }
  }
}`, "o.hcl:3,12", `has no policy "sshd-baner". Did you mean "sshd-banner"?`},
		{"bundle not loaded", `overlay "o" {
  bundle "ssh-baselin" {
    params = { max_auth_tries = 3 }
  }
}`, "o.hcl:2,10", `which this run does not load. Did you mean "ssh-baseline"? Load it with -b`},
		{"missing reason", `overlay "o" {
  bundle "ssh-baseline" {
    policy "sshd-banner" { enabled = false }
  }
}`, "o.hcl:3,38", `Disabling policy "sshd-banner" needs a reason`},
		{"empty reason", `overlay "o" {
  bundle "ssh-baseline" {
    policy "sshd-banner" {
      enabled = false
      reason  = "  "
    }
  }
}`, "o.hcl:5,17", `The reason for policy "sshd-banner" is empty`},
		{"bad severity", `overlay "o" {
  bundle "ssh-baseline" {
    policy "sshd-banner" { severity = "urgent" }
  }
}`, "o.hcl:3,39", `Severity "urgent" is not one of`},
		{"quoted bool", `overlay "o" {
  bundle "ssh-baseline" {
    policy "sshd-banner" { enabled = "false" }
  }
}`, "o.hcl:3,38", "enabled is true or false, without quotes"},
		{"list element", `overlay "o" {
  bundle "ssh-baseline" {
    params = { ciphers_allowed = ["aes256-ctr", 3] }
  }
}`, "o.hcl:3,34", "element 2: 3 is a number, not a string"},
		{"no overlay block", `bundle "ssh-baseline" {}`, "o.hcl:1,1", "Unsupported block type"},
		{"two overlays", "overlay \"a\" {}\noverlay \"b\" {}\n", "o.hcl:2,1", "An overlay file holds one overlay block"},
		{"bad name", `overlay "a b" {
  bundle "ssh-baseline" {}
}`, "o.hcl:1,9", "Invalid overlay name"},
		{"policy block changes nothing", `overlay "o" {
  bundle "ssh-baseline" {
    policy "sshd-banner" {}
  }
}`, "o.hcl:3,5", "sets neither enabled nor severity"},
		{"params not an object", `overlay "o" {
  bundle "ssh-baseline" {
    params = ["max_auth_tries"]
  }
}`, "o.hcl:3,14", "params is an object of param names and values"},
		{"file function", `overlay "o" {
  description = file("/etc/passwd")
}`, "o.hcl:2,17", "file"},
		{"syntax", `overlay "o" {`, "o.hcl:1,13", "Unclosed configuration block"},
		{"deep nesting", "overlay \"o\" {\n  bundle \"ssh-baseline\" {\n    params = { ciphers_allowed = " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + " }\n  }\n}\n",
			"o.hcl:3,287", "Nested too deeply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, diags := Parse([]byte(tc.src), "o.hcl")
			if !diags.HasErrors() {
				_, _, diags = Apply([]*bundle.Bundle{sshBundle()}, []*File{f})
			}
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := firstError(diags)
			if d.Subject == nil {
				t.Fatalf("no position: %s", d)
			}
			at := d.Subject.Filename + ":" + strings.SplitN(strings.TrimPrefix(d.Subject.String(), d.Subject.Filename+":"), "-", 2)[0]
			if at != tc.at {
				t.Errorf("at %s, want %s (%s)", at, tc.at, d)
			}
			if text := d.Summary + ": " + d.Detail; !strings.Contains(text, tc.want) {
				t.Errorf("diagnostic %q\nwant it to say %q", text, tc.want)
			}
		})
	}
}

func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d
		}
	}
	return nil
}

// TestDuplicateNames: two overlays of one name are refused, since reports
// and metrics tell them apart by name.
func TestDuplicateNames(t *testing.T) {
	src := "overlay \"x\" {\n  bundle \"ssh-baseline\" {\n    params = { max_auth_tries = 3 }\n  }\n}\n"
	a, b := parse(t, "a.hcl", src), parse(t, "b.hcl", src)
	_, _, diags := Apply([]*bundle.Bundle{sshBundle()}, []*File{a, b})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Duplicate overlay name") {
		t.Errorf("diags %v", diags)
	}
}

// TestReadFile: the limits of the file itself: size, directories, FIFOs
// without a writer (no hang), a missing file.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.hcl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{big, "larger than the 1 MiB an overlay file may hold"},
		{dir, "it is a directory"},
		{filepath.Join(dir, "none.hcl"), "no such file or directory"},
		{fifo, "No overlay block"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			_, diags := ReadFile(tc.path)
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
				t.Errorf("diags %v, want %q", diags, tc.want)
			}
		})
	}
}

func jsonNumber(s string) any {
	v, err := bundle.GoValue(cty.MustParseNumberVal(s))
	if err != nil {
		panic(err)
	}
	return v
}
