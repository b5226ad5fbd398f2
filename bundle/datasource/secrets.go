package datasource

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/internal/safefile"
)

// MinRedactLen is the shortest secret value redacted from output: shorter
// values would match ordinary words and numbers and blank out the report.
// A shorter secret still works; the operator is warned that it is not
// redacted.
const MinRedactLen = 8

// Secrets is what the operator allows the bundles' data sources to read
// as credentials: environment variables of the scanning process
// (--allow-env NAME) and files of the scanning host (--allow-secret-file
// PATH), each either for any host a data block names or bound to one
// (NAME@HOST). A bundle only names them; what it names and the operator did
// not allow is refused. Secrets also keeps every value it handed out, so
// that the pipeline redacts them from whatever leaves the run.
//
// A nil *Secrets allows nothing. The methods are safe for concurrent use.
type Secrets struct {
	env   map[string][]string // variable → hosts it may go to (nil: any)
	files map[string][]string // clean absolute path → hosts
	// envValue holds the allowed variables' values, read once: the
	// environment of a process does not change.
	envValue map[string]string

	mu   sync.Mutex
	held map[string]bool // values handed out or read ahead, for redaction
}

// envName is what --allow-env accepts: a portable variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// NewSecrets parses the operator's allowances: env entries are NAME or
// NAME@HOST, files PATH or PATH@HOST (the last @ separates the host when
// what follows holds no /; a file whose name holds an @ is written
// PATH@ for any host). The values of allowed variables, and of allowed
// files that can be read now, are held from the start, so that they are
// redacted even from runs that never connect anywhere. It returns the
// names of held values too short to redact (MinRedactLen).
func NewSecrets(env, files []string) (*Secrets, []string, error) {
	s := &Secrets{env: map[string][]string{}, files: map[string][]string{}, envValue: map[string]string{}, held: map[string]bool{}}
	var short []string
	for _, e := range env {
		name, host, _ := strings.Cut(e, "@")
		if !envName.MatchString(name) {
			return nil, nil, fmt.Errorf("--allow-env %q: want NAME or NAME@HOST, NAME a variable name (letters, digits, _)", e)
		}
		if err := allow(s.env, name, host); err != nil {
			return nil, nil, fmt.Errorf("--allow-env %q: %w", e, err)
		}
		if v, ok := os.LookupEnv(name); ok && v != "" {
			s.envValue[name] = v
			if !s.hold(v) {
				short = append(short, "$"+name)
			}
		}
	}
	for _, f := range files {
		p, host := f, ""
		if i := strings.LastIndexByte(f, '@'); i >= 0 && !strings.Contains(f[i+1:], "/") {
			p, host = f[:i], f[i+1:]
		}
		if p == "" {
			return nil, nil, fmt.Errorf("--allow-secret-file %q: want PATH or PATH@HOST", f)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, nil, fmt.Errorf("--allow-secret-file %q: %w", f, err)
		}
		if err := allow(s.files, abs, host); err != nil {
			return nil, nil, fmt.Errorf("--allow-secret-file %q: %w", f, err)
		}
		if v, err := readSecretFile(abs); err == nil && !s.hold(v) {
			short = append(short, abs)
		}
	}
	slices.Sort(short)
	return s, slices.Compact(short), nil
}

// allow records key for host ("" for any host).
func allow(m map[string][]string, key, host string) error {
	if strings.ContainsAny(host, "/:") {
		return fmt.Errorf("HOST %q: want a host name or address, without scheme or port", host)
	}
	hosts, seen := m[key]
	switch {
	case host == "":
		m[key] = nil
	case seen && hosts == nil: // already allowed for any host
	default:
		m[key] = append(hosts, strings.ToLower(host))
	}
	return nil
}

// hold keeps v for redaction and reports whether it is long enough to be
// redacted.
func (s *Secrets) hold(v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held[v] = true
	return len(v) >= MinRedactLen
}

// Held counts the values held. It only grows (a secret file read again
// with a new value), so a redactor knows when to take Values again.
func (s *Secrets) Held() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}

// Values returns the held values long enough to redact, longest first (a
// value that holds another is replaced whole), each with the encodings it
// is most likely to appear in: base64 (standard and URL alphabets, without
// padding), percent-encoding and JSON string escaping where they differ.
func (s *Secrets) Values() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	set := map[string]bool{}
	for v := range s.held {
		if len(v) < MinRedactLen {
			continue
		}
		set[v] = true
		set[strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(v)), "=")] = true
		set[strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(v)), "=")] = true
		set[url.QueryEscape(v)] = true
		set[url.PathEscape(v)] = true
		if j, err := json.Marshal(v); err == nil {
			set[string(j[1:len(j)-1])] = true
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return out
}

// NotAllowedError says that a bundle named a secret the operator did not
// allow (for that host).
type NotAllowedError struct {
	// Env or File is what the bundle named.
	Env, File string
	// Host is where the secret would have gone; Hosts where the operator
	// allows it (empty: nowhere).
	Host  string
	Hosts []string
}

func (e *NotAllowedError) Error() string {
	what, flag, name := "the environment variable "+e.Env, "--allow-env", e.Env
	if e.File != "" {
		what, flag, name = "the file "+e.File, "--allow-secret-file", e.File
	}
	if len(e.Hosts) > 0 {
		return fmt.Sprintf("%s is allowed only for %s, not for %s: the operator must allow it with %s %s@%s",
			what, strings.Join(e.Hosts, ", "), e.Host, flag, name, e.Host)
	}
	return fmt.Sprintf("%s is not allowed as a secret: the operator must allow it with %s %s (or %s %s@%s to send it only there)",
		what, flag, name, flag, name, e.Host)
}

// permits says whether a secret allowed for hosts may go to host.
func permits(hosts []string, host string) bool {
	return hosts == nil || slices.Contains(hosts, strings.ToLower(host))
}

// CheckEnv says whether the variable name may be sent to host, without
// reading it.
func (s *Secrets) CheckEnv(name, host string) error {
	if s != nil {
		if hosts, ok := s.env[name]; ok && permits(hosts, host) {
			return nil
		}
		return &NotAllowedError{Env: name, Host: host, Hosts: s.env[name]}
	}
	return &NotAllowedError{Env: name, Host: host}
}

// CheckFile says whether the file path may be sent to host, without
// reading it.
func (s *Secrets) CheckFile(path, host string) error {
	p := filepath.Clean(path)
	if s != nil {
		if hosts, ok := s.files[p]; ok && permits(hosts, host) {
			return nil
		}
		return &NotAllowedError{File: p, Host: host, Hosts: s.files[p]}
	}
	return &NotAllowedError{File: p, Host: host}
}

// Env returns the value of an allowed environment variable, to send to
// host. Errors name the variable, never the value: a *NotAllowedError, or
// one saying the variable is unset or empty.
func (s *Secrets) Env(name, host string) (string, error) {
	if err := s.CheckEnv(name, host); err != nil {
		return "", err
	}
	v, ok := s.envValue[name]
	if !ok {
		return "", fmt.Errorf("the environment variable %s is not set or empty", name)
	}
	return v, nil
}

// File reads an allowed secret file of the scanning host, to send to host:
// a regular file of at most 64 KiB, its trailing newline dropped. It is
// read again on each call (secrets rotate). Errors name the file, never
// the value.
func (s *Secrets) File(path, host string) (string, error) {
	if err := s.CheckFile(path, host); err != nil {
		return "", err
	}
	v, err := readSecretFile(filepath.Clean(path))
	if err != nil {
		return "", err
	}
	s.hold(v)
	return v, nil
}

// readSecretFile reads a secret file: a regular file (a FIFO cannot
// block the open, and is refused unread), bounded.
func readSecretFile(name string) (string, error) {
	b, err := safefile.ReadLimited(name, maxSecretFile, safefile.RegularOnly)
	switch {
	case errors.Is(err, safefile.ErrDirectory), errors.Is(err, safefile.ErrNotRegular):
		return "", fmt.Errorf("the secret file %s is not a regular file", name)
	case errors.Is(err, safefile.ErrTooLarge):
		return "", fmt.Errorf("the secret file %s is larger than %d KiB", name, maxSecretFile>>10)
	case err != nil:
		return "", fmt.Errorf("read the secret file %s: %w", name, err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", errors.New("the secret file " + name + " is empty")
	}
	return v, nil
}

type secretsKey struct{}

// WithSecrets returns a context whose data sources may read the secrets s
// allows. The pipeline sets it around every fetch; without it a source
// reads no secret at all.
func WithSecrets(ctx context.Context, s *Secrets) context.Context {
	return context.WithValue(ctx, secretsKey{}, s)
}

// SecretsFrom returns the context's allowances: nil (nothing allowed) when
// none were set.
func SecretsFrom(ctx context.Context) *Secrets {
	s, _ := ctx.Value(secretsKey{}).(*Secrets)
	return s
}

// SecretRef is one secret a data block names: an environment variable or
// a file of the scanning host, and the host it is sent to.
type SecretRef struct {
	// Attr is the attribute that names it: "password_env", "headers_env".
	Attr string
	// Env or File is set.
	Env, File string
	// Host is where the secret goes (the data block's URL host).
	Host string
	// Range is the attribute value (or the item of a map) that names it.
	Range hcl.Range
}

// SecretUser is a data source that reads secrets: the pipeline checks its
// references against the operator's allowances before fetching anything,
// so that a missing --allow-env is one clear error at the attribute.
type SecretUser interface {
	SecretRefs() []SecretRef
}

// NotAllowed is the Extra of a diagnostic about a secret the operator did
// not allow: the bundle is fine, but the run may not read it (exit code 2,
// the operator's to fix).
type NotAllowed struct{}

// CheckRefs returns one error diagnostic per reference s does not allow,
// pointing at the attribute that names it.
func (s *Secrets) CheckRefs(refs []SecretRef) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, r := range refs {
		var err error
		if r.File != "" {
			err = s.CheckFile(r.File, r.Host)
		} else {
			err = s.CheckEnv(r.Env, r.Host)
		}
		if err != nil {
			diags = append(diags, NotAllowedDiag(r, err))
		}
	}
	return diags
}

// NotAllowedDiag is the diagnostic of a secret that may not be read: at
// the attribute naming it (a variable name or a path, never a secret).
func NotAllowedDiag(r SecretRef, err error) *hcl.Diagnostic {
	rng := r.Range
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Secret not allowed",
		Detail:   fmt.Sprintf("%s: %s.", r.Attr, err),
		Subject:  &rng,
		Extra:    NotAllowed{},
	}
}
