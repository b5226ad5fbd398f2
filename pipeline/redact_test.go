package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

const testSecret = "s3cret-Value-42"

// testRedactor holds testSecret, as --allow-env ASSAY_TEST_REDACT would.
func testRedactor(t *testing.T) *redactor {
	t.Helper()
	t.Setenv("ASSAY_TEST_REDACT", testSecret)
	s, _, err := datasource.NewSecrets([]string{"ASSAY_TEST_REDACT"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return newRedactor(s)
}

type inner struct {
	Text   string
	Sev    report.Status // an enumeration: never rewritten
	hidden string
}

type outer struct {
	Name  string
	Ptr   *inner
	List  []inner
	Any   any
	Bytes []byte
	Map   map[string]any
}

func TestRedactValue(t *testing.T) {
	r := testRedactor(t)
	in := &outer{
		Name:  "x " + testSecret + " y",
		Ptr:   &inner{Text: testSecret, Sev: report.Status(testSecret), hidden: testSecret},
		List:  []inner{{Text: "clean"}, {Text: "a" + testSecret}},
		Any:   []any{json.Number("1"), map[string]any{testSecret: "key"}},
		Bytes: []byte(`{"pw": "` + testSecret + `"}`),
		Map:   map[string]any{"doc": document.Document{"lines": []any{"ok", testSecret}}, "n": json.Number("7")},
	}
	orig := *in
	origPtr := *in.Ptr
	if !redactValue(r, in) {
		t.Fatal("nothing changed")
	}
	got, _ := json.Marshal(in)
	if strings.Count(string(got), testSecret) != 1 { // Sev's
		t.Errorf("a secret is left: %s", got)
	}
	for _, want := range []string{`"Name":"x [redacted] y"`, `"[redacted]":"key"`, `"lines":["ok","[redacted]"]`, `"Text":"a[redacted]"`, `"n":7`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("%s lacks %s", got, want)
		}
	}
	if !bytes.Contains(in.Bytes, []byte(`"pw": "[redacted]"`)) {
		t.Errorf("bytes: %s", in.Bytes)
	}
	if in.Ptr.Sev != report.Status(testSecret) || in.Ptr.hidden != testSecret {
		t.Errorf("enumerations and unexported fields are the program's: %+v", in.Ptr)
	}
	// What the caller still holds elsewhere is not written to.
	if orig.Name == in.Name || *orig.Ptr != origPtr || orig.List[1].Text != "a"+testSecret ||
		orig.Map["doc"].(document.Document)["lines"].([]any)[1] != testSecret {
		t.Error("the original value was changed")
	}
	clean := &outer{Name: "nothing to see", List: []inner{{Text: "x"}}}
	if redactValue(r, clean) {
		t.Error("a clean value changed")
	}
	if redactValue(nil, in) || redactValue(newRedactor(nil), in) {
		t.Error("a redactor without secrets changed something")
	}
}

// TestRedactNumber: a document number that is a secret (a PIN) becomes a
// string; JSON stays valid.
func TestRedactNumber(t *testing.T) {
	t.Setenv("ASSAY_TEST_PIN", "12345678")
	s, _, err := datasource.NewSecrets([]string{"ASSAY_TEST_PIN"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{"pin": json.Number("12345678"), "uid": json.Number("1000")}
	redactValue(newRedactor(s), &doc)
	got, err := json.Marshal(doc)
	if err != nil || string(got) != `{"pin":"[redacted]","uid":1000}` {
		t.Errorf("got %s, %v", got, err)
	}
}

func TestRedactReport(t *testing.T) {
	r := testRedactor(t)
	secret := report.Finding{PolicyID: "p", Message: "password is " + testSecret, Path: "/etc/x"}
	secret.ComputeFingerprint()
	clean := report.Finding{PolicyID: "p", Message: "fine", Path: "/etc/y"}
	clean.ComputeFingerprint()
	rep := &report.Report{
		Findings:   []report.Finding{secret, clean},
		Collectors: []report.CollectorResult{{Name: "c", Skipped: []report.Skip{{Path: "/x", Reason: "holds " + testSecret}}}},
	}
	r.redactReport(rep)
	if rep.Findings[0].Message != "password is [redacted]" || rep.Collectors[0].Skipped[0].Reason != "holds [redacted]" {
		t.Errorf("not redacted: %+v", rep)
	}
	want := rep.Findings[0]
	want.ComputeFingerprint()
	if rep.Findings[0].Fingerprint == secret.Fingerprint || rep.Findings[0].Fingerprint != want.Fingerprint {
		t.Error("the redacted finding keeps the fingerprint of its secret")
	}
	if rep.Findings[1].Fingerprint != clean.Fingerprint {
		t.Error("a clean finding's fingerprint changed")
	}
}

func TestRedactDiags(t *testing.T) {
	r := testRedactor(t)
	diags := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Down", Detail: "the server said: bad password " + testSecret}}
	r.redactDiags(diags)
	if diags[0].Detail != "the server said: bad password [redacted]" {
		t.Errorf("detail %q", diags[0].Detail)
	}
}

type stringer struct{}

func (stringer) String() string { return "token=" + testSecret }

func TestRedactLog(t *testing.T) {
	r := testRedactor(t)
	var buf bytes.Buffer
	log := slog.New(redactHandler{inner: slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}), r: r})
	log = log.With("pre", "with "+testSecret)
	log.WithGroup("g").Info("print: "+testSecret, "s", testSecret, "err", errors.New("bind: "+testSecret),
		"st", stringer{}, slog.Group("grp", "inner", testSecret), "n", 3)
	out := buf.String()
	if strings.Contains(out, testSecret) {
		t.Errorf("the log shows the secret: %s", out)
	}
	for _, want := range []string{`msg="print: [redacted]"`, `pre="with [redacted]"`, `g.s=[redacted]`, `g.err="bind: [redacted]"`,
		`g.st="token=[redacted]"`, `g.grp.inner=[redacted]`, `g.n=3`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

// TestRedactEncodings: the forms Values adds are replaced too, and a value
// that holds another is replaced whole.
func TestRedactEncodings(t *testing.T) {
	r := testRedactor(t)
	for in, want := range map[string]string{
		"b64 czNjcmV0LVZhbHVlLTQy!":      "b64 [redacted]!",
		"url s3cret-Value-42&x":          "url [redacted]&x",
		testSecret + testSecret:          "[redacted][redacted]",
		"s3cret-Value-4 is not the same": "s3cret-Value-4 is not the same",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
