package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The documentation's examples are executable. docs/authoring.md
// ("Examples in the documentation") states the convention:
//
//   - a fenced block whose first line starts with "$ " is a shell session:
//     each "$ " line is run with sh in a scratch directory (assay is this
//     test binary, on PATH; examples/ and policies/ are there), and the
//     lines after it, up to the next "$ ", are its output, stdout and
//     stderr as a terminal shows them. "$ echo $?" shows the exit code of
//     the command before. Durations are masked on both sides; "…" stands
//     for any text within a line, and a line that is only "…" for any
//     number of lines (abridged output);
//   - "<!-- file: PATH -->" before a fenced block writes that block to PATH
//     in the scratch directory before the page's sessions run, so that a
//     session can run the bundle the page shows;
//   - a block that shows a diagnostic (a line "error: …", "warning: …" or
//     "FILE:LINE:COL: error: …") must be such a session;
//   - "<!-- not checked: REASON -->" before a block excuses it, for what the
//     test cannot provide (a Debian host, an LDAP directory); the
//     diagnostics it shows are still checked for the format assay prints.

// docPages are the pages whose examples are checked: README.md and docs/
// (but docs/cli/, which is generated).
func docPages(t *testing.T) []string {
	t.Helper()
	repo := filepath.Join("..", "..")
	pages := []string{filepath.Join(repo, "README.md")}
	err := filepath.WalkDir(filepath.Join(repo, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "cli" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			pages = append(pages, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// docBlock is one fenced block of a page.
type docBlock struct {
	line    int    // of the opening fence
	file    string // from "<!-- file: PATH -->"
	excuse  string // from "<!-- not checked: REASON -->"
	content string
}

var (
	fenceRE     = regexp.MustCompile("(?m)^```[^\n]*\n")
	fileNoteRE  = regexp.MustCompile(`<!-- file: (\S+) -->\s*$`)
	excuseRE    = regexp.MustCompile(`<!-- not checked: ([^>]+?) -->\s*$`)
	diagHeadRE  = regexp.MustCompile(`^(?:\S+:\d+:\d+: )?(error|warning|Error|Warning): \S`)
	durationRE  = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|us|ms|s|m|h)\b`)
	goodDiagRE  = regexp.MustCompile(`^(?:\S+:\d+:\d+: )?(error|warning): \S`)
	snippetRE   = regexp.MustCompile(`^ {0,4}\d+ \| |^ {6}\| `)
	detailRE    = regexp.MustCompile(`^  \S`)
	sessionCmds = regexp.MustCompile(`(?m)^\$ `)
)

// parseBlocks returns the fenced blocks of a Markdown page.
func parseBlocks(src string) []docBlock {
	var out []docBlock
	pos := 0
	for {
		loc := fenceRE.FindStringIndex(src[pos:])
		if loc == nil {
			return out
		}
		start, bodyStart := pos+loc[0], pos+loc[1]
		end := strings.Index(src[bodyStart:], "\n```")
		if end < 0 {
			return out
		}
		b := docBlock{line: strings.Count(src[:start], "\n") + 1, content: src[bodyStart : bodyStart+end+1]}
		before := strings.TrimRight(src[:start], "\n")
		if i := strings.LastIndexByte(before, '\n'); i >= 0 {
			before = before[i+1:]
		}
		if m := fileNoteRE.FindStringSubmatch(before); m != nil {
			b.file = m[1]
		}
		if m := excuseRE.FindStringSubmatch(before); m != nil {
			b.excuse = m[1]
		}
		out = append(out, b)
		pos = bodyStart + end + 4
		if pos > len(src) {
			return out
		}
	}
}

func isSession(b docBlock) bool { return strings.HasPrefix(b.content, "$ ") }

// sessionStep is one command of a session and the output shown for it.
type sessionStep struct {
	line int
	cmd  string
	want []string
}

func parseSession(b docBlock) []sessionStep {
	var steps []sessionStep
	lines := strings.Split(strings.TrimRight(b.content, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
				i++
				cmd = strings.TrimSuffix(cmd, `\`) + "\n" + lines[i]
			}
			steps = append(steps, sessionStep{line: b.line + 1 + i, cmd: cmd})
			continue
		}
		if len(steps) > 0 {
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
		}
	}
	return steps
}

// normalize masks durations and trailing blanks, and drops trailing empty
// lines.
func normalize(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = durationRE.ReplaceAllString(strings.TrimRight(l, " \t"), "DURATION")
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// matchLines says whether got matches the pattern want: "…" within a line
// is any text, a line that is only "…" any number of lines.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "…" {
		for skip := 0; skip <= len(got); skip++ {
			if matchLines(want[1:], got[skip:]) {
				return true
			}
		}
		return false
	}
	if len(got) == 0 || !matchLine(want[0], got[0]) {
		return false
	}
	return matchLines(want[1:], got[1:])
}

func matchLine(want, got string) bool {
	if !strings.Contains(want, "…") {
		return want == got
	}
	parts := strings.Split(want, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got)
}

// scratch makes the directory sessions run in: examples/ and policies/ of
// the repository, and the page's file blocks.
func scratch(t *testing.T, blocks []docBlock) string {
	t.Helper()
	dir := t.TempDir()
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"examples", "policies"} {
		if err := os.Symlink(filepath.Join(repo, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range blocks {
		if b.file == "" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(b.file))
		if !filepath.IsLocal(b.file) {
			t.Fatalf("file block %q leaves the scratch directory", b.file)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b.content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runStep runs one command of a session with sh, stdout and stderr in one
// stream, and returns its output and exit code. A command that does not end
// within a minute is killed.
func runStep(t *testing.T, dir, command string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + os.TempDir(), "NO_COLOR=1", "TERM=dumb", "LC_ALL=C.UTF-8"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case ctx.Err() != nil:
		t.Fatalf("%q did not end within a minute", command)
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	default:
		t.Fatalf("run %q: %v", command, err)
	}
	return "", -1
}

// checkDiagnosticFormat checks that the diagnostics a block shows are in the
// form assay prints them (diagnostics.go): a header line, optionally a
// snippet with a caret line, then detail lines indented by two spaces, and a
// blank line after each.
func checkDiagnosticFormat(t *testing.T, where string, lines []string) {
	t.Helper()
	for i := 0; i < len(lines); i++ {
		if !diagHeadRE.MatchString(lines[i]) {
			continue
		}
		if !goodDiagRE.MatchString(lines[i]) {
			t.Errorf("%s: %q is not how assay prints a diagnostic (\"error: SUMMARY\" or \"FILE:LINE:COL: error: SUMMARY\")", where, lines[i])
			continue
		}
		j := i + 1
		for j < len(lines) && snippetRE.MatchString(lines[j]) {
			j++
		}
		if j < len(lines) && lines[j] == "" && j+1 < len(lines) && detailRE.MatchString(lines[j+1]) {
			t.Errorf("%s: a blank line between %q and its detail: assay prints none", where, lines[i])
		}
	}
}

// TestDocExamples runs every shell session of README.md and docs/ against
// the real command line and checks every diagnostic they show.
func TestDocExamples(t *testing.T) {
	if _, err := exec.LookPath("assay"); err != nil {
		t.Fatalf("assay is not on PATH (TestMain puts this test binary there): %v", err)
	}
	sessions := 0
	for _, page := range docPages(t) {
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join("..", ".."), page)
		blocks := parseBlocks(string(src))
		var run []docBlock
		for _, b := range blocks {
			where := fmt.Sprintf("%s:%d", rel, b.line)
			lines := strings.Split(b.content, "\n")
			hasDiag := false
			for _, l := range lines {
				hasDiag = hasDiag || diagHeadRE.MatchString(l)
			}
			switch {
			case b.excuse != "":
				checkDiagnosticFormat(t, where, lines)
			case isSession(b):
				run = append(run, b)
			case hasDiag:
				t.Errorf("%s: a diagnostic that no session produces: show the command that prints it (\"$ assay …\"), or say why it cannot run (<!-- not checked: REASON -->)", where)
			case sessionCmds.MatchString(b.content):
				t.Errorf("%s: a shell session must start with its first \"$ \" command", where)
			}
		}
		if len(run) == 0 {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			dir := scratch(t, blocks)
			for _, b := range run {
				last := 0
				for _, step := range parseSession(b) {
					var got string
					if step.cmd == "echo $?" {
						got = strconv.Itoa(last)
					} else {
						got, last = runStep(t, dir, step.cmd)
						sessions++
					}
					want, have := normalize(step.want), normalize(strings.Split(got, "\n"))
					if !matchLines(want, have) {
						t.Errorf("%s:%d: $ %s\n--- the page shows\n%s\n--- assay prints\n%s", rel, step.line, step.cmd,
							strings.Join(step.want, "\n"), strings.TrimRight(got, "\n"))
					}
				}
			}
		})
	}
	if sessions == 0 {
		t.Error("no session found in the documentation")
	}
}

// TestMatchLines checks the wildcards of the session convention.
func TestMatchLines(t *testing.T) {
	for _, tc := range []struct {
		want, got []string
		ok        bool
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, true},
		{[]string{"a", "…", "d"}, []string{"a", "b", "c", "d"}, true},
		{[]string{"a", "…", "d"}, []string{"a", "d"}, true},
		{[]string{"a", "…"}, []string{"a"}, true},
		{[]string{"key … (EdDSA)"}, []string{"key 85c6aeeae6d99751 (EdDSA)"}, true},
		{[]string{"key … (EdDSA)"}, []string{"key 85c6 (RS256)"}, false},
		{[]string{"a"}, []string{"a", "b"}, false},
		{normalize([]string{"in 0.12s", ""}), normalize([]string{"in 3ms"}), true},
	} {
		if got := matchLines(tc.want, tc.got); got != tc.ok {
			t.Errorf("matchLines(%q, %q) = %v", tc.want, tc.got, got)
		}
	}
}
