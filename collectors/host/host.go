// Package host collects facts about the system a target describes: hostname,
// operating system (os-release), kernel and machine id. Its document is also
// what policies see as data.assay.host.
package host

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
)

// Kind is the collector and document kind.
const Kind = "host"

// Type is the host collector type: collect "host" blocks.
func Type() collector.Type {
	return collector.Type{
		Name:          Kind,
		DocumentKinds: []string{Kind},
		Help:          "hostname, os-release, kernel and machine id of the target",
		New:           collector.NoConfig(Collector{}),
	}
}

// Collector gathers host facts. It never fails on a missing file: an image
// without /etc/hostname simply has no hostname.
type Collector struct{}

// Collect implements collector.Collector.
func (Collector) Collect(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	emit.Emit(Facts(env.Target, emit))
	return nil
}

// Facts reads the host facts of t. Problems reading a file are reported to
// skip (which may be nil) and leave the field out.
func Facts(t target.Target, skip collector.Emitter) document.Document {
	doc := document.New(Kind, "host")
	info := t.Info()
	doc["target"] = map[string]any{"kind": string(info.Kind), "name": info.Name}
	read := func(name string) []byte {
		b, err := target.ReadFile(t, name, maxFactFile)
		if err != nil {
			if skip != nil && !errors.Is(err, fs.ErrNotExist) {
				skip.Skip(target.Abs(name), err)
			}
			return nil
		}
		return b
	}

	hostname := strings.TrimSpace(string(read("etc/hostname")))
	if info.Kind == target.KindHost {
		if h, err := os.Hostname(); err == nil {
			hostname = h
		}
	}
	doc["hostname"] = hostname

	osRelease := read("etc/os-release")
	if osRelease == nil {
		osRelease = read("usr/lib/os-release")
	}
	doc["os"] = ParseOSRelease(osRelease)

	if id := strings.TrimSpace(string(read("etc/machine-id"))); id != "" {
		doc["machine_id"] = id
	}
	// The kernel is a property of the running machine only: an image or an
	// unpacked root has none.
	if info.Kind == target.KindHost {
		kernel := map[string]any{"arch": runtime.GOARCH}
		if b := read("proc/sys/kernel/osrelease"); b != nil {
			kernel["release"] = strings.TrimSpace(string(b))
		}
		if b := read("proc/sys/kernel/version"); b != nil {
			kernel["version"] = strings.TrimSpace(string(b))
		}
		doc["kernel"] = kernel
	}
	return doc
}

// maxFactFile bounds each file read for host facts: they are a line or a
// few, and a hostile root may hold a huge sparse /etc/hostname.
const maxFactFile = 64 << 10

// ParseOSRelease parses os-release(5): KEY=value lines, values optionally
// quoted with shell quoting. Keys are lower-cased ("version_id").
func ParseOSRelease(b []byte) map[string]any {
	out := map[string]any{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = uq
		} else if len(v) >= 2 && (v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		out[strings.ToLower(k)] = v
	}
	return out
}
