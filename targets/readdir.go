package targets

import (
	"io/fs"
	"sort"
)

func sortedReadDir(f fs.ReadDirFile) ([]fs.DirEntry, error) {
	entries, err := f.ReadDir(-1)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries, err
}
