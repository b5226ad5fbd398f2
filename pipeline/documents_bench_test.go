package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/report"
)

// BenchmarkReadDocumentFiles reads 2,000 document files of about 4 KB, as
// `assay eval` reads its regular files before judging them: their text
// held, or past the budget of held text (reread) to be read again.
//
//	go test -run XXX -bench ReadDocumentFiles -benchtime 20x ./pipeline/
func BenchmarkReadDocumentFiles(b *testing.B) {
	dir := b.TempDir()
	files := make([]string, 2000)
	for i := range files {
		files[i] = filepath.Join(dir, fmt.Sprintf("%04d.json", i))
		text := fmt.Sprintf(`{"kind": "file", "path": "/etc/f%d", "lines": [%s"end"]}`, i, strings.Repeat(`"a line of some text, as a config file has", `, 90))
		if err := os.WriteFile(files[i], []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	env := Builtin(report.Tool{Name: "assay"})
	for _, budget := range []struct {
		name  string
		bytes int64
	}{{"held", heldTextBudget}, {"reread", 0}} {
		b.Run(budget.name, func(b *testing.B) {
			defer func(old int64) { heldTextBudget = old }(heldTextBudget)
			heldTextBudget = budget.bytes
			for b.Loop() {
				if _, err := env.ReadDocumentFiles(files, DocumentOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
