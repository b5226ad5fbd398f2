package artifact

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	opabundle "github.com/open-policy-agent/opa/v1/bundle"
)

// hashAlgorithm is the name OPA's signature format gives SHA-256.
const hashAlgorithm = "SHA-256"

// Sign adds (or replaces) the signature of an archive built by Build: a
// JWS, in OPA's .signatures.json format, over the SHA-256 of every file,
// the manifest included. The result is as reproducible as the input, but
// for ECDSA, whose signatures are randomised.
func Sign(ctx context.Context, data []byte, key PrivateKey) ([]byte, error) {
	a, err := Open(ctx, data, "archive", Options{})
	if err != nil {
		return nil, err
	}
	if a.Manifest == nil {
		return nil, fmt.Errorf("%w: the archive has no %s; build it with 'assay bundle build'", ErrInvalid, ManifestName)
	}
	files := map[string][]byte{}
	for name, d := range a.files {
		if name != SignaturesName {
			files[name] = d
		}
	}
	infos := make([]opabundle.FileInfo, 0, len(files))
	for name, d := range files {
		infos = append(infos, opabundle.NewFile(name, digest(d), hashAlgorithm))
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	sc := opabundle.NewSigningConfig(key.pem, key.Public.Algorithm, "")
	token, err := opabundle.GenerateSignedToken(infos, sc, key.Public.ID)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sigs, err := json.MarshalIndent(opabundle.SignaturesConfig{Signatures: []string{token}}, "", "  ")
	if err != nil {
		return nil, err
	}
	files[SignaturesName] = append(sigs, '\n')
	return writeArchive(files)
}

// verify checks the archive's signature against the trusted keys and every
// file against the signed digests. It returns the ID of the key that
// verified.
func verify(files map[string][]byte, keys []PublicKey) (string, error) {
	raw, ok := files[SignaturesName]
	if !ok {
		return "", fmt.Errorf("%w: the bundle is not signed (no %s)", ErrSignature, SignaturesName)
	}
	var sc opabundle.SignaturesConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrSignature, SignaturesName, err)
	}
	if sc.Plugin != "" {
		return "", fmt.Errorf("%w: %s asks for signing plugin %q; assay verifies only keys", ErrSignature, SignaturesName, sc.Plugin)
	}
	if len(sc.Signatures) != 1 {
		return "", fmt.Errorf("%w: %s holds %d signatures, exactly one is expected", ErrSignature, SignaturesName, len(sc.Signatures))
	}
	var (
		signed  map[string]opabundle.FileInfo
		keyID   string
		lastErr error
	)
	for _, k := range keys {
		// The key ID is fixed to the trusted key's, so the token's own kid
		// and alg headers choose nothing.
		cfg := opabundle.NewVerificationConfig(map[string]*opabundle.KeyConfig{
			k.ID: {Key: k.pem, Algorithm: k.Algorithm},
		}, k.ID, "", nil)
		fi, err := opabundle.VerifyBundleSignature(sc, cfg)
		if err == nil {
			signed, keyID = fi, k.ID
			break
		}
		lastErr = err
	}
	if signed == nil {
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		by := ""
		if kid := tokenKeyID(sc.Signatures[0]); kid != "" {
			by = fmt.Sprintf(" (it names key %s)", kid)
		}
		return "", fmt.Errorf("%w: %s was not made by a trusted key%s; trusted: %s (%v)", ErrSignature, SignaturesName, by, strings.Join(ids, ", "), lastErr)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if name != SignaturesName {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		fi, ok := signed[name]
		if !ok {
			return "", fmt.Errorf("%w: %s is in the archive but not covered by the signature", ErrDigest, name)
		}
		if fi.Algorithm != hashAlgorithm {
			return "", fmt.Errorf("%w: %s is signed with hash %q; assay checks %s", ErrSignature, name, fi.Algorithm, hashAlgorithm)
		}
		if got := digest(files[name]); !strings.EqualFold(got, fi.Hash) {
			return "", fmt.Errorf("%w: %s has sha256 %s, the signature says %s", ErrDigest, name, got, fi.Hash)
		}
		delete(signed, name)
	}
	for name := range signed {
		return "", fmt.Errorf("%w: %s is signed but missing from the archive", ErrDigest, name)
	}
	return keyID, nil
}

// tokenKeyID reads the kid header of a compact JWS, for messages only.
func tokenKeyID(token string) string {
	hdr, _, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(hdr)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.Kid
}
