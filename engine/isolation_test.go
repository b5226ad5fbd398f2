package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

func TestSandboxRuntime(t *testing.T) {
	t.Setenv("ASSAY_SECRET_FOR_TEST", "leaked")
	b := newBundle(t, "b", nil, pol{id: "p", rego: `package p
deny contains sprintf("runtime %v", [opa.runtime()]) if true
deny contains "cidr works" if net.cidr_contains("10.0.0.0/8", "10.1.2.3")`})
	res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: []document.Entry{{Document: document.Document{}}}})
	var msgs []string
	for _, f := range res.Findings {
		msgs = append(msgs, f.Message)
	}
	want := []string{"cidr works", "runtime {}"}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages %q, want %q", msgs, want)
	}
}

func TestPrintGoesToLogger(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := newBundle(t, "b", nil, pol{id: "p", rego: `package p
deny contains "x" if {
	print("checking", input.name)
	false
}`})
	mustEval(t, mustNew(t, []*bundle.Bundle{b}, WithLogger(logger)),
		Input{Documents: []document.Entry{{Document: document.Document{"name": "sshd"}}}})
	mu.Lock()
	defer mu.Unlock()
	out := buf.String()
	for _, want := range []string{"level=DEBUG", `msg="rego print"`, "location=b/p.rego:3", `msg="checking sshd"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// slowRego never finishes within a short deadline: it walks a billion
// combinations before failing.
const slowRego = `deny contains "never" if {
	some i in numbers.range(1, 1000)
	some j in numbers.range(1, 1000)
	some k in numbers.range(1, 1000)
	i + j + k < 0
}`

func TestEvalTimeoutIsolated(t *testing.T) {
	b := newBundle(t, "b", nil,
		pol{id: "slow", rego: "package slow\n" + slowRego},
		pol{id: "fast", rego: "package fast\ndeny contains sprintf(\"fast %s\", [input.n]) if true"})
	e := mustNew(t, []*bundle.Bundle{b}, WithEvalTimeout(50*time.Millisecond), WithParallelism(2))
	var docs []document.Entry
	for i := range 6 {
		docs = append(docs, document.Entry{Document: document.Document{"n": fmt.Sprint(i)}})
	}
	start := time.Now()
	res := mustEval(t, e, Input{Documents: docs})
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("Eval took %s: a timed-out policy must not be retried on every document", elapsed)
	}
	byID := map[string]report.PolicyResult{}
	for _, p := range res.Policies {
		byID[p.ID] = p
	}
	if p := byID["slow"]; p.Status != report.StatusError || p.Error != "evaluation exceeded 50ms" {
		t.Errorf("slow: status %s error %q, want error \"evaluation exceeded 50ms\"", p.Status, p.Error)
	}
	if p := byID["fast"]; p.Status != report.StatusFail || p.Findings != 6 {
		t.Errorf("fast: status %s findings %d, want fail with 6", p.Status, p.Findings)
	}
	if len(res.Findings) != 6 {
		t.Errorf("%d findings, want the 6 of the fast policy", len(res.Findings))
	}
}

func TestEvalErrorIsolation(t *testing.T) {
	b := newBundle(t, "b", nil,
		pol{id: "broken", rego: `package broken
v := input.a
v := input.b
deny contains "broken" if v`},
		pol{id: "good", rego: `package good
deny contains sprintf("good %v", [input.a]) if input.a > 0`},
		pol{id: "badmsg", rego: `package badmsg
warn contains {"msg": input.a} if input.a == 2`})
	docs := []document.Entry{
		{File: "one.json", Document: document.Document{"a": 1, "b": 1}},
		{File: "two.json", Document: document.Document{"a": 2, "b": 3}},
		{File: "three.json", Document: document.Document{"a": 3, "b": 4}},
	}
	res := mustEval(t, mustNew(t, []*bundle.Bundle{b}, WithParallelism(1)), Input{Documents: docs})
	byID := map[string]report.PolicyResult{}
	for _, p := range res.Policies {
		byID[p.ID] = p
	}
	if p := byID["broken"]; p.Status != report.StatusError ||
		!strings.HasPrefix(p.Error, `document "two.json": `) || !strings.Contains(p.Error, "eval_conflict_error") {
		t.Errorf("broken: status %s error %q, want an eval_conflict_error on two.json", p.Status, p.Error)
	}
	if p := byID["badmsg"]; p.Status != report.StatusError || !strings.Contains(p.Error, `document "two.json": rule warn returned {"msg": 2}`) {
		t.Errorf("badmsg: status %s error %q", p.Status, p.Error)
	}
	var msgs []string
	for _, f := range res.Findings {
		msgs = append(msgs, f.PolicyID+": "+f.Message)
	}
	// broken still judged one.json (a == b): its finding stays.
	want := []string{"broken: broken", "good: good 1", "good: good 3", "good: good 2"} // by path
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("findings %q, want %q", msgs, want)
	}
}

func TestEvalCancelled(t *testing.T) {
	b := newBundle(t, "b", nil, pol{id: "slow", rego: "package slow\n" + slowRego})
	e := mustNew(t, []*bundle.Bundle{b}, WithEvalTimeout(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.Eval(ctx, Input{Documents: manyDocs(3)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Eval error = %v, want the caller's deadline", err)
	}
}

func TestEvalBadDocument(t *testing.T) {
	b := newBundle(t, "b", nil, pol{id: "p", rego: "package p\ndeny contains \"x\" if true"})
	res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: []document.Entry{
		{File: "bad.json", Document: document.Document{"ch": make(chan int)}},
		{File: "good.json", Document: document.Document{}},
	}})
	p := res.Policies[0]
	if p.Status != report.StatusError || !strings.HasPrefix(p.Error, `document "bad.json": convert to Rego`) {
		t.Errorf("status %s error %q", p.Status, p.Error)
	}
	if len(res.Findings) != 1 || res.Findings[0].Path != "good.json" {
		t.Errorf("findings %v, want the good document's", res.Findings)
	}
}
