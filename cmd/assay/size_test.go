package main

import "testing"

// TestSizeFlag: every size flag (--max-size, --max-document-size,
// --max-memory) reads a size as a collect block's max_size does, in powers
// of 1024, and refuses zero and what is not a size.
func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{
		"4096": 4096, "512k": 512 << 10, "512KiB": 512 << 10, "1M": 1 << 20, "1MB": 1 << 20, "64MiB": 64 << 20, "2G": 2 << 30,
	} {
		var n int64
		if err := (sizeFlag{&n}).Set(in); err != nil || n != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"0", "0k", "lots", "-1M", "1.5G", ""} {
		n := int64(7)
		if err := (sizeFlag{&n}).Set(in); err == nil || n != 7 {
			t.Errorf("Set(%q) = %d, %v; want an error and the value unchanged", in, n, err)
		}
	}
	n := int64(64 << 20)
	if got := (sizeFlag{&n}).String(); got != "64MiB" {
		t.Errorf("String() = %q, want 64MiB", got)
	}
}
