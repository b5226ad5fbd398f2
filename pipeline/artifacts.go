package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/artifact"
	"github.com/assay-dev/assay/bundle/source"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/internal/safefile"
)

// Signed says what SignBundle did.
type Signed struct {
	File string
	Key  artifact.PublicKey
}

// SignBundle signs the archive with the PEM private key in keyFile and
// writes the signed archive to out ("" means in place).
func SignBundle(ctx context.Context, archive, keyFile, out string) (*Signed, error) {
	if keyFile == "" {
		return nil, exitcode.UsageError(errors.New("sign needs --key FILE, a PEM private key"))
	}
	if err := CheckOutputFile(out); err != nil {
		return nil, exitcode.UsageError(err)
	}
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("--key: %w", err))
	}
	key, err := artifact.ParsePrivateKey(pem)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("--key %s: %w", keyFile, err))
	}
	data, err := ReadArchive(archive)
	if err != nil {
		return nil, err
	}
	signed, err := artifact.Sign(ctx, data, key)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("%s: %w", archive, err))
	}
	if out == "" {
		out = archive
	}
	if err := safefile.WriteBytes(out, 0o644, signed); err != nil {
		return nil, exitcode.ScanError(err)
	}
	return &Signed{File: out, Key: key.Public}, nil
}

// ResolveBundle fetches and checks one bundle source exactly as a scan
// would, without loading it; every failure is exit code 2. A copy served
// from the cache is reported as a warning diagnostic.
func (e *Env) ResolveBundle(ctx context.Context, src string, fetch FetchOptions) (*source.Resolved, error) {
	opts, err := e.sourceOptions(fetch)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	if !source.IsRemote(src) && !bundle.IsArchive(src) {
		return nil, exitcode.UsageError(fmt.Errorf("%s: give a .tar.gz, an https:// URL or an oci://REF", src))
	}
	r, err := source.Resolve(ctx, src, opts)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("%s: %w", src, err))
	}
	return r, nil
}

// PullBundle resolves src and writes its archive to out.
func (e *Env) PullBundle(ctx context.Context, src, out string, fetch FetchOptions) (*source.Resolved, error) {
	if out == "" {
		return nil, exitcode.UsageError(errors.New("pull needs -o FILE"))
	}
	if err := CheckOutputFile(out); err != nil {
		return nil, exitcode.UsageError(err)
	}
	r, err := e.ResolveBundle(ctx, src, fetch)
	if err != nil {
		return nil, err
	}
	if err := safefile.WriteBytes(out, 0o644, r.Artifact.Bytes()); err != nil {
		return nil, exitcode.ScanError(err)
	}
	return r, nil
}

// PushBundle checks the archive and pushes it to the oci://REF ref,
// returning the reference by digest.
func PushBundle(ctx context.Context, archive, ref string) (string, error) {
	if !strings.HasPrefix(ref, "oci://") {
		return "", exitcode.UsageError(fmt.Errorf("%s: push to an oci://REF", ref))
	}
	data, err := ReadArchive(archive)
	if err != nil {
		return "", err
	}
	if _, err := artifact.Open(ctx, data, archive, artifact.Options{}); err != nil {
		return "", exitcode.UsageError(err)
	}
	pushed, err := source.Push(ctx, data, ref, source.PushOptions{})
	if err != nil {
		return "", exitcode.ScanError(err)
	}
	return pushed, nil
}

// GenerateKey writes a new private key to NAME.key (mode 0600, never over
// an existing file, nor through a link: O_EXCL) and its public key to
// NAME.pub (through safefile: a link there is replaced, not followed).
func GenerateKey(name, kind string) (artifact.PublicKey, error) {
	if name == "" {
		return artifact.PublicKey{}, exitcode.UsageError(errors.New("keygen needs -o NAME"))
	}
	if err := CheckOutputFile(name + ".pub"); err != nil {
		return artifact.PublicKey{}, exitcode.UsageError(err)
	}
	priv, pub, err := artifact.GenerateKey(kind)
	if err != nil {
		return artifact.PublicKey{}, exitcode.UsageError(err)
	}
	f, err := os.OpenFile(name+".key", os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if errors.Is(err, os.ErrExist) {
		return artifact.PublicKey{}, exitcode.UsageError(fmt.Errorf("%s.key exists (a file or a link): keygen never replaces a private key; remove it or choose another -o NAME", name))
	}
	if err != nil {
		return artifact.PublicKey{}, exitcode.UsageError(err)
	}
	if _, err := f.Write(priv); err != nil {
		f.Close()
		return artifact.PublicKey{}, exitcode.ScanError(err)
	}
	if err := f.Close(); err != nil {
		return artifact.PublicKey{}, exitcode.ScanError(err)
	}
	if err := safefile.WriteBytes(name+".pub", 0o644, pub); err != nil {
		return artifact.PublicKey{}, exitcode.ScanError(err)
	}
	keys, err := artifact.ParsePublicKeys(pub)
	if err != nil {
		return artifact.PublicKey{}, exitcode.ScanError(err)
	}
	return keys[0], nil
}

// ReadArchive reads a bundle archive, which must be a regular file as for
// --bundle: O_NONBLOCK keeps a FIFO named like an archive from blocking the
// open, and fstat then refuses it. Every failure is exit code 2.
func ReadArchive(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, exitcode.UsageError(fmt.Errorf("%s: not a bundle archive (a regular .tar.gz file made by 'assay bundle build')", name))
	}
	data, err := artifact.ReadLimited(f)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("read %s: %w", name, err))
	}
	return data, nil
}
