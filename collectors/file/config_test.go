package file

import (
	"strings"
	"testing"
)

func TestDecodeDiagnostics(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		summary string
		// line and column of the diagnostic's subject; the body starts on
		// line 2 of the file.
		line, col int
	}{
		{"invalid name regex", `  paths = ["/home"]
  name  = ["^ok$", "(unclosed"]`, "Invalid regular expression in name", 3, 20},
		{"invalid content regex, string form", `  paths   = ["/home"]
  content = "a[z"`, "Invalid regular expression in content", 3, 13},
		{"unknown attribute", `  paths = ["/home"]
  nmae  = "x"`, "Unsupported argument", 3, 3},
		{"bad size", `  paths = ["/"]
  size  = [">10k", "ten"]`, "Invalid size", 3, 20},
		{"bad mtime unit", `  paths = ["/"]
  mtime = "<90y"`, "Invalid mtime", 3, 11},
		{"bad mtime sign", `  paths = ["/"]
  mtime = "90d"`, "Invalid mtime", 3, 11},
		{"relative path", `  paths = ["home"]`, "Relative search path", 2, 12},
		{"missing paths", `  name = "x"`, "No paths to search", 1, 20},
		{"bad hash algorithm", `  paths  = ["/"]
  hashes = ["sha256", "crc32"]`, "Unknown hash algorithm", 3, 23},
		{"bad digest", `  paths  = ["/"]
  sha256 = ["abc"]`, "Invalid sha256 digest", 3, 13},
		{"bad mismatch", `  paths    = ["/"]
  mismatch = ["contents"]`, "Unknown mismatch criterion", 3, 15},
		{"conflicting matchall", `  paths    = ["/"]
  matchall = true
  matchany = true`, "Conflicting matchall and matchany", 4, 14},
		{"bad report", `  paths  = ["/"]
  report = "some"`, "Invalid report", 3, 12},
		{"bad max_file_size", `  paths = ["/"]
  max_file_size = "big"`, "Invalid max_file_size", 3, 19},
		{"list of numbers for name", `  paths = ["/"]
  name  = [1]`, "Invalid name", 3, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := parseBlock(t, tt.body)
			if !diags.HasErrors() {
				t.Fatalf("no error; collector %v", c)
			}
			d := diags[0]
			if d.Summary != tt.summary {
				t.Fatalf("summary %q, want %q (detail %q)", d.Summary, tt.summary, d.Detail)
			}
			if d.Subject == nil {
				t.Fatal("no subject")
			}
			if d.Subject.Filename != "test.hcl" || d.Subject.Start.Line != tt.line || d.Subject.Start.Column != tt.col {
				t.Errorf("subject %s:%d:%d, want test.hcl:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, tt.line, tt.col)
			}
			if strings.TrimSpace(d.Detail) == "" {
				t.Error("empty detail")
			}
		})
	}
}

func TestDecodeValid(t *testing.T) {
	c := mustCollector(t, `
  paths    = ["/home", "/root"]
  name     = "^authorized_keys2?$"
  maxdepth = 3
  content  = ["^(#.*|\\s*|ssh-(ed25519|rsa) AAAA[0-9A-Za-z+/=]+( .*)?)$"]
  macroal  = true
  mismatch = ["content"]
  hashes   = ["sha256"]
  size     = ["<1M", "1-2k"]
  mtime    = [">2h"]
  sha1     = ["DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"]
  max_content_bytes = "64k"
  max_file_size     = 1048576
  capture  = true`)
	s := c.s
	if len(s.roots) != 2 || s.maxDepth != 3 || !s.macroal || !s.mismatch["content"] || !s.capture {
		t.Errorf("decoded %+v", s)
	}
	if s.maxContent != 64<<10 || s.maxFileSize != 1<<20 {
		t.Errorf("bounds %d %d", s.maxContent, s.maxFileSize)
	}
	if strings.Join(s.compute, ",") != "sha1,sha256" {
		t.Errorf("compute %v", s.compute)
	}
	if !s.expected["sha1"]["da39a3ee5e6b4b0d3255bfef95601890afd80709"] {
		t.Errorf("expected digests %v", s.expected)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in       string
		min, max int64
		err      bool
	}{
		{"<10k", 0, 10240, false},
		{">1M", 1 << 20, 1<<63 - 1, false},
		{"=512", 512, 512, false},
		{"512", 512, 512, false},
		{"1k-2KiB", 1024, 2048, false},
		{"2k-1k", 0, 0, true},
		{"", 0, 0, true},
		{"<", 0, 0, true},
		{">-1", 0, 0, true},
		{"99999999999999t", 0, 0, true},
	}
	for _, tt := range tests {
		r, err := parseSize(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%q: err %v", tt.in, err)
			continue
		}
		if err == nil && (r.min != tt.min || r.max != tt.max) {
			t.Errorf("%q: [%d, %d], want [%d, %d]", tt.in, r.min, r.max, tt.min, tt.max)
		}
	}
}
