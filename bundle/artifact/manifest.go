package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/mod/semver"
)

// Names of the files an artifact adds to the bundle's own. Both are hidden,
// so the bundle loader never mistakes them for data.
const (
	ManifestName   = ".manifest"
	SignaturesName = ".signatures.json"
)

// Manifest describes a built bundle. It is stored as JSON in ManifestName
// at the top of the archive, and signed along with the files it lists.
type Manifest struct {
	// Name and Version are the bundle's, from its bundle block.
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Revision says which sources the bundle was built from, such as a git
	// commit.
	Revision string `json:"revision,omitempty"`
	// AssayVersion is the oldest assay that may run the bundle ("0.4.0").
	AssayVersion string `json:"assay_version,omitempty"`
	// Files lists every file of the bundle but the manifest and the
	// signatures, sorted by name.
	Files []File `json:"files"`
}

// File is one file of a bundle and its digest.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// Sentinel errors, for errors.Is; the messages around them name the file.
var (
	// ErrInvalid is an archive or manifest that cannot be read.
	ErrInvalid = errors.New("invalid bundle archive")
	// ErrDigest is a file whose content is not what the manifest or the
	// signature says, or a file one lists and the archive lacks.
	ErrDigest = errors.New("digest mismatch")
	// ErrSignature is a missing, malformed or untrusted signature.
	ErrSignature = errors.New("signature does not verify")
	// ErrTooNew is a bundle that needs a newer assay.
	ErrTooNew = errors.New("bundle needs a newer assay")
)

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// manifestFiles lists files (all but the manifest and signatures) with
// their digests, sorted.
func manifestFiles(files map[string][]byte) []File {
	out := make([]File, 0, len(files))
	for name, data := range files {
		if name == ManifestName || name == SignaturesName {
			continue
		}
		out = append(out, File{Name: name, SHA256: digest(data)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (m *Manifest) encode() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func parseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, ManifestName, err)
	}
	if m.Name == "" {
		return nil, fmt.Errorf("%w: %s has no name", ErrInvalid, ManifestName)
	}
	if m.AssayVersion != "" && !semver.IsValid(canonicalVersion(m.AssayVersion)) {
		return nil, fmt.Errorf("%w: %s: assay_version %q is not a version like 0.4.0", ErrInvalid, ManifestName, m.AssayVersion)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if seen[f.Name] {
			return nil, fmt.Errorf("%w: %s lists %s twice", ErrInvalid, ManifestName, f.Name)
		}
		seen[f.Name] = true
	}
	return &m, nil
}

// checkFiles compares the files of an archive with the digests the manifest
// lists, naming the first file that differs.
func (m *Manifest) checkFiles(files map[string][]byte) error {
	want := map[string]string{}
	for _, f := range m.Files {
		want[f.Name] = f.SHA256
	}
	for _, f := range manifestFiles(files) {
		w, ok := want[f.Name]
		if !ok {
			return fmt.Errorf("%w: %s is in the archive but not in its manifest", ErrDigest, f.Name)
		}
		if !strings.EqualFold(w, f.SHA256) {
			return fmt.Errorf("%w: %s has sha256 %s, the manifest says %s", ErrDigest, f.Name, f.SHA256, w)
		}
		delete(want, f.Name)
	}
	for _, f := range m.Files {
		if _, missing := want[f.Name]; missing {
			return fmt.Errorf("%w: %s is in the manifest but not in the archive", ErrDigest, f.Name)
		}
	}
	return nil
}

// canonicalVersion turns "0.4.0" and "v0.4.0" into "v0.4.0".
func canonicalVersion(v string) string {
	v = strings.TrimSpace(v)
	if v != "" && !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	return v
}

// CheckAssayVersion returns an ErrTooNew error when running is older than
// required. A running version that is not a release (a "dev" build from
// source) satisfies every requirement.
func CheckAssayVersion(required, running string) error {
	if required == "" {
		return nil
	}
	req, run := canonicalVersion(required), canonicalVersion(running)
	if !semver.IsValid(req) {
		return fmt.Errorf("%w: required assay version %q is not a version like 0.4.0", ErrInvalid, required)
	}
	if !semver.IsValid(run) {
		return nil
	}
	if semver.Compare(run, req) < 0 {
		return fmt.Errorf("%w: it needs assay %s or newer, and this is assay %s; upgrade assay or use an older version of the bundle",
			ErrTooNew, strings.TrimPrefix(req, "v"), strings.TrimPrefix(run, "v"))
	}
	return nil
}
