package pipeline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"

	"github.com/assay-dev/assay/targets/ssh"
)

// Inventory limits: a fleet is thousands of hosts, not millions.
const (
	maxInventoryBytes   = 16 << 20
	maxInventoryTargets = 10000
	maxLabels           = 64
	maxLabelValue       = 1024
)

// RemoteTarget is one host of a multi-target run: where it is, the
// inventory's labels, and where it was named (for messages).
type RemoteTarget struct {
	Address ssh.Address
	Labels  map[string]string
	// Source is "--target" or "FILE:LINE".
	Source string
}

// labelName is what a label may be called, in an inventory and in
// --push-label: a Prometheus label name, so that inventory labels can
// become series labels one day without renaming.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// RemoteTargets lists the targets of --target (in order) and of the
// inventory file, refusing duplicates. Its errors name the file and line,
// and are the user's to fix.
func RemoteTargets(urls []string, inventory string) ([]RemoteTarget, error) {
	var out []RemoteTarget
	for _, u := range urls {
		a, err := ssh.ParseURL(u)
		if err != nil {
			return nil, fmt.Errorf("--target %w", err)
		}
		out = append(out, RemoteTarget{Address: a, Source: "--target"})
	}
	if inventory != "" {
		inv, err := ReadInventory(inventory)
		if err != nil {
			return nil, err
		}
		out = append(out, inv...)
	}
	seen := map[string]string{}
	for _, t := range out {
		k := t.Address.String()
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s: target %s is also named at %s: name each target once", t.Source, k, prev)
		}
		seen[k] = t.Source
	}
	if len(out) > maxInventoryTargets {
		return nil, fmt.Errorf("%d targets: more than %d in one run; split the inventory", len(out), maxInventoryTargets)
	}
	return out, nil
}

// ReadInventory reads an inventory: a YAML file (.yaml, .yml) with
// defaults and per-host user, port and labels, or any other file with one
// ssh://[user@]host[:port] a line ('#' starts a comment).
func ReadInventory(file string) ([]RemoteTarget, error) {
	data, err := readInventoryFile(file)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml":
		return parseYAMLInventory(file, data)
	}
	return parseLineInventory(file, data)
}

// readInventoryFile reads the inventory within its limit. It is opened
// without blocking, so that a FIFO is refused instead of waited on.
func readInventoryFile(file string) ([]byte, error) {
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("--inventory: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("--inventory: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("--inventory %s: not a regular file", file)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxInventoryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--inventory: %w", err)
	}
	if len(data) > maxInventoryBytes {
		return nil, fmt.Errorf("--inventory %s: larger than %d MiB; split it", file, maxInventoryBytes>>20)
	}
	return data, nil
}

func parseLineInventory(file string, data []byte) ([]RemoteTarget, error) {
	var out []RemoteTarget
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		src := fmt.Sprintf("%s:%d", file, n)
		a, err := ssh.ParseURL(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (a YAML inventory needs a .yaml name)", src, err)
		}
		out = append(out, RemoteTarget{Address: a, Source: src})
		if len(out) > maxInventoryTargets {
			return nil, fmt.Errorf("%s: more than %d targets; split the inventory", src, maxInventoryTargets)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

// yamlInventory is the YAML inventory:
//
//	defaults: {user: auditor, port: 22, labels: {site: par1}}
//	hosts:
//	  - web1.example.com
//	  - {host: db1.example.com, user: root, port: 2222, labels: {role: db}}
//	  - ssh://backup@10.0.0.9
type yamlInventory struct {
	Defaults yamlHost    `yaml:"defaults"`
	Hosts    []yaml.Node `yaml:"hosts"`
}

type yamlHost struct {
	Host   string            `yaml:"host"`
	User   string            `yaml:"user"`
	Port   int               `yaml:"port"`
	Labels map[string]string `yaml:"labels"`
}

func parseYAMLInventory(file string, data []byte) ([]RemoteTarget, error) {
	at := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("%s:%d:%d: %s", file, n.Line, n.Column, fmt.Sprintf(format, args...))
	}
	var inv yamlInventory
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&inv); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w (want defaults: {user, port, labels} and hosts: [HOST or {host, user, port, labels}])", file, err)
	}
	if err := checkLabels(inv.Defaults.Labels); err != nil {
		return nil, fmt.Errorf("%s: defaults: %w", file, err)
	}
	var out []RemoteTarget
	for i := range inv.Hosts {
		n := &inv.Hosts[i]
		var h yamlHost
		switch n.Kind {
		case yaml.ScalarNode:
			h.Host = n.Value
		case yaml.MappingNode:
			for k := 0; k+1 < len(n.Content); k += 2 {
				switch key := n.Content[k]; key.Value {
				case "host", "user", "port", "labels":
				default:
					return nil, at(key, "unknown field %q: a host is {host, user, port, labels}", key.Value)
				}
			}
			if err := n.Decode(&h); err != nil {
				return nil, at(n, "%v (a host is {host, user, port, labels})", err)
			}
		default:
			return nil, at(n, "a host is a name, an ssh:// URL or {host, user, port, labels}")
		}
		t, err := yamlTarget(inv.Defaults, h)
		if err != nil {
			return nil, at(n, "%v", err)
		}
		t.Source = fmt.Sprintf("%s:%d", file, n.Line)
		out = append(out, t)
		if len(out) > maxInventoryTargets {
			return nil, at(n, "more than %d targets; split the inventory", maxInventoryTargets)
		}
	}
	return out, nil
}

func yamlTarget(def, h yamlHost) (RemoteTarget, error) {
	if h.Host == "" {
		return RemoteTarget{}, errors.New("no host")
	}
	url := h.Host
	if !ssh.IsURL(url) {
		user, port := h.User, h.Port
		if user == "" {
			user = def.User
		}
		if port == 0 {
			port = def.Port
		}
		host := h.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		url = "ssh://" + host
		if user != "" {
			url = "ssh://" + user + "@" + host
		}
		if port != 0 {
			url += ":" + strconv.Itoa(port)
		}
	} else if h.User != "" || h.Port != 0 {
		return RemoteTarget{}, fmt.Errorf("%s: give the user and port in the URL or as fields, not both", h.Host)
	}
	a, err := ssh.ParseURL(url)
	if err != nil {
		return RemoteTarget{}, err
	}
	labels := map[string]string{}
	for k, v := range def.Labels {
		labels[k] = v
	}
	for k, v := range h.Labels {
		labels[k] = v
	}
	if err := checkLabels(labels); err != nil {
		return RemoteTarget{}, err
	}
	if len(labels) == 0 {
		labels = nil
	}
	return RemoteTarget{Address: a, Labels: labels}, nil
}

func checkLabels(labels map[string]string) error {
	if len(labels) > maxLabels {
		return fmt.Errorf("%d labels: at most %d", len(labels), maxLabels)
	}
	for k, v := range labels {
		if !labelName.MatchString(k) {
			return fmt.Errorf("label %q: a label name is letters, digits and _, not starting with a digit", k)
		}
		if len(v) > maxLabelValue {
			return fmt.Errorf("label %s: value longer than %d bytes", k, maxLabelValue)
		}
	}
	return nil
}
