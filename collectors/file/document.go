package file

import (
	"time"

	"github.com/assay-dev/assay/core/document"
)

// document builds the "file" document; docs/collectors/file.md lists its
// fields.
func (r *run) document(abs, root, typ string, m *fileMeta, c *contentResult, checks []check, matched bool, link string, changed bool) document.Document {
	d := document.New(Kind, r.name)
	d[document.FieldPath] = abs
	d["root"] = root
	d["type"] = typ
	d["size"] = m.size
	d["mode"] = modeString(m.mode)
	d["mode_octal"] = modeOctal(m.mode)
	d["mtime"] = m.mtime.UTC().Format(time.RFC3339)
	if m.hasOwner {
		d["uid"] = int64(m.uid)
		d["gid"] = int64(m.gid)
		if n, ok := r.users.user(m.uid); ok {
			d["owner"] = n
		}
		if n, ok := r.users.group(m.gid); ok {
			d["group"] = n
		}
	}
	if link != "" {
		d["link"] = link
	}
	if m.blocks >= 0 && typ == "file" && m.blocks*512 < m.size {
		d["sparse"] = true
	}
	if changed {
		d["changed"] = true
	}
	d["matched"] = matched
	cl := make([]any, len(checks))
	for i, ch := range checks {
		cl[i] = map[string]any{"criterion": ch.Criterion, "value": ch.Value, "held": ch.Held}
	}
	match := map[string]any{"checks": cl}
	if c != nil {
		if len(r.s.contents) > 0 {
			mc := map[string]any{
				"lines":         int64(c.lines),
				"matched_lines": intsAny(c.matchedLines),
				"complete":      c.complete,
			}
			if c.matchedTrunc {
				mc["matched_lines_truncated"] = true
			}
			if c.firstMismatch > 0 {
				mc["first_mismatch"] = map[string]any{"line": int64(c.firstMismatch), "text": c.mismatchText}
			}
			if c.longLines {
				mc["long_lines"] = true
			}
			match["content"] = mc
		}
		if len(c.digests) > 0 {
			h := make(map[string]any, len(c.digests))
			for k, v := range c.digests {
				h[k] = v
			}
			d["hashes"] = h
		}
		if r.s.capture {
			lines := make([]any, len(c.captured))
			for i, l := range c.captured {
				lines[i] = l
			}
			content := map[string]any{"lines": lines, "truncated": c.captureTrunc || c.longLines}
			if c.invalidUTF8 {
				content["invalid_utf8"] = true
			}
			if c.binary {
				content["binary"] = true
			}
			if c.compressed != "" {
				content["compressed"] = c.compressed
			}
			d["content"] = content
		}
	}
	d["match"] = match
	return d
}

func intsAny(v []int) []any {
	out := make([]any, len(v))
	for i, n := range v {
		out[i] = int64(n)
	}
	return out
}
