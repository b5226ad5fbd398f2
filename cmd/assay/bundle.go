package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle/artifact"
	"github.com/assay-dev/assay/bundle/source"
	"github.com/assay-dev/assay/engine"
)

func init() { addCommand(newBundleCmd) }

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Build, sign, verify, push and pull policy bundles as versioned artifacts",
		Long: `Bundle turns a bundle directory into a reproducible, signed .tar.gz with a
manifest (name, version, revision, the assay version it needs, the SHA-256 of
every file), and moves it through registries. Scans load such archives with
--bundle FILE, https://URL or oci://REF, and refuse any that does not verify
with --verify-key. The archive and signing formats are in docs/bundle-artifacts.md.`,
		Example: `  assay bundle keygen -o release                 # release.key, release.pub
  assay bundle build ./ssh-baseline -o ssh-baseline.tar.gz --revision "$(git rev-parse HEAD)"
  assay bundle sign ssh-baseline.tar.gz --key release.key
  assay bundle push ssh-baseline.tar.gz oci://registry.example.com/policies/ssh-baseline:1.4.0
  assay scan -b oci://registry.example.com/policies/ssh-baseline:1.4.0 --verify-key release.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newBundleBuildCmd(), newBundleSignCmd(), newBundleVerifyCmd(), newBundlePushCmd(), newBundlePullCmd(), newBundleKeygenCmd())
	return cmd
}

func newBundleBuildCmd() *cobra.Command {
	var (
		out, version, revision, assayVersion string
		skipTests                            bool
	)
	cmd := &cobra.Command{
		Use:   "build DIR -o FILE",
		Short: "Validate a bundle directory, run its tests, and archive it reproducibly",
		Long: `Build loads the bundle as a scan would (any error fails the build, with
file:line), compiles its policies, runs its Rego tests unless --skip-tests, and
writes a .tar.gz: sorted entries, fixed times, owners and modes, no gzip name
or time — the same files always give the same bytes — with a .manifest
listing every file's SHA-256. Hidden files (.git) are left out.

Exit codes: 0 built; 1 a Rego test failed; 2 a bundle error.`,
		Example: `  assay bundle build ./ssh-baseline -o ssh-baseline.tar.gz --version 1.4.0 --revision "$GITHUB_SHA" --assay-version 0.4.0`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			dir := args[0]
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return usageError(fmt.Errorf("%s is not a bundle directory", dir))
			}
			if assayVersion != "" {
				if err := artifact.CheckAssayVersion(assayVersion, "0.0.0"); errors.Is(err, artifact.ErrInvalid) {
					return usageError(fmt.Errorf("--assay-version: %w", err))
				}
			}
			bundles, err := loadBundles(ctx, []string{dir}, nil, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			b := bundles[0]
			if _, err := compile(ctx, bundles, cmd.ErrOrStderr(), engine.WithLogger(logger(cmd))); err != nil {
				return err
			}
			if !skipTests {
				results, err := engine.Test(ctx, bundles, engine.TestOptions{})
				if err != nil {
					return usageError(fmt.Errorf("run the tests of %s: %w", dir, err))
				}
				if failed := printTestResults(cmd.ErrOrStderr(), cmd.ErrOrStderr(), results, false); failed > 0 {
					return &exitError{code: 1, err: fmt.Errorf("%d test(s) failed: no archive written (--skip-tests builds anyway)", failed)}
				}
			}
			switch {
			case version == "":
				version = b.Version
			case b.Version != "" && strings.TrimPrefix(version, "v") != strings.TrimPrefix(b.Version, "v"):
				return usageError(fmt.Errorf("--version %s differs from the version %s in the bundle block; change one of them", version, b.Version))
			}
			root, err := os.OpenRoot(dir)
			if err != nil {
				return usageError(err)
			}
			defer root.Close()
			m := artifact.Manifest{Name: b.Name, Version: version, Revision: revision, AssayVersion: assayVersion}
			data, err := artifact.Build(root.FS(), m)
			if err != nil {
				return usageError(err)
			}
			if out == "" {
				out = b.Name + ".tar.gz"
				if version != "" {
					out = b.Name + "-" + version + ".tar.gz"
				}
			}
			if err := writeBytes(out, data); err != nil {
				return scanError(err)
			}
			a, err := artifact.Open(ctx, data, out, artifact.Options{})
			if err != nil {
				return scanError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s, %d files, %s\n", out, m.Name, version, len(a.Manifest.Files), a.Digest)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "write the archive to `FILE` (default: NAME-VERSION.tar.gz)")
	f.StringVar(&version, "version", "", "the bundle's version (default: the bundle block's; must agree with it)")
	f.StringVar(&revision, "revision", "", "what the bundle was built from, such as a git commit")
	f.StringVar(&assayVersion, "assay-version", "", "the oldest assay `VERSION` that may run the bundle")
	f.BoolVar(&skipTests, "skip-tests", false, "do not run the bundle's Rego tests")
	return cmd
}

func newBundleSignCmd() *cobra.Command {
	var keyFile, out string
	cmd := &cobra.Command{
		Use:   "sign ARCHIVE --key FILE",
		Short: "Sign a built bundle archive",
		Long: `Sign adds a .signatures.json to an archive made by 'assay bundle build': a JWS
(OPA's bundle signature format) over the SHA-256 of every file, the manifest
included, made with an ed25519, RSA (2048 bits or more) or ECDSA private key in
PEM. Signing again replaces the signature. The key's ID, printed, is the first
16 hex digits of the SHA-256 of its public key.`,
		Example: `  assay bundle sign ssh-baseline.tar.gz --key release.key`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" {
				return usageError(errors.New("sign needs --key FILE, a PEM private key"))
			}
			pem, err := os.ReadFile(keyFile)
			if err != nil {
				return usageError(fmt.Errorf("--key: %w", err))
			}
			key, err := artifact.ParsePrivateKey(pem)
			if err != nil {
				return usageError(fmt.Errorf("--key %s: %w", keyFile, err))
			}
			data, err := readArchive(args[0])
			if err != nil {
				return err
			}
			signed, err := artifact.Sign(cmd.Context(), data, key)
			if err != nil {
				return usageError(fmt.Errorf("%s: %w", args[0], err))
			}
			if out == "" {
				out = args[0]
			}
			if err := writeBytes(out, signed); err != nil {
				return scanError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: signed with key %s (%s)\n", out, key.Public.ID, key.Public.Algorithm)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "PEM private key `FILE`")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the signed archive to `FILE` (default: in place)")
	return cmd
}

func newBundleVerifyCmd() *cobra.Command {
	var bf bundleFlags
	cmd := &cobra.Command{
		Use:   "verify SOURCE --verify-key FILE",
		Short: "Check a bundle's signature, digests and required assay version",
		Long: `Verify fetches a bundle (a .tar.gz, an https:// URL or an oci://REF) and checks
it exactly as a scan with --verify-key would, without loading it: a signature
by one of the keys, every file as signed and as the manifest says, and an assay
version the bundle accepts. A failure names the file that differs; exit 2.`,
		Example: `  assay bundle verify ssh-baseline.tar.gz --verify-key release.pub
  assay bundle verify oci://registry.example.com/policies/ssh-baseline:1.4.0 --verify-key release.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(bf.verifyKeys) == 0 {
				return usageError(errors.New("verify needs --verify-key FILE, a PEM public key"))
			}
			bf.logger = logger(cmd)
			f, err := resolveOne(cmd, args[0], &bf)
			if err != nil {
				return err
			}
			printArtifact(cmd, args[0], f)
			return nil
		},
	}
	bf.register(cmd.Flags())
	return cmd
}

func newBundlePushCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "push ARCHIVE oci://REF",
		Short: "Push a bundle archive to an OCI registry",
		Long: `Push uploads an archive as an OCI artifact (artifactType
application/vnd.assay.bundle.v1, one layer of type
application/vnd.assay.bundle.layer.v1.tar+gzip) and prints its reference by
digest. Credentials come from the Docker configuration and credential helpers
(docker login). Plain HTTP is used only for registries on loopback.`,
		Example: `  assay bundle push ssh-baseline.tar.gz oci://registry.example.com/policies/ssh-baseline:1.4.0`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !strings.HasPrefix(args[1], "oci://") {
				return usageError(fmt.Errorf("%s: push to an oci://REF", args[1]))
			}
			data, err := readArchive(args[0])
			if err != nil {
				return err
			}
			if _, err := artifact.Open(cmd.Context(), data, args[0], artifact.Options{}); err != nil {
				return usageError(err)
			}
			ref, err := source.Push(cmd.Context(), data, args[1], source.PushOptions{})
			if err != nil {
				return scanError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "oci://%s\n", ref)
			return nil
		},
	}
	return cmd
}

func newBundlePullCmd() *cobra.Command {
	var (
		bf  bundleFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "pull SOURCE -o FILE",
		Short: "Fetch a bundle from a registry or a URL into a file",
		Long: `Pull fetches a bundle (oci://REF or an https:// URL), checks it as a scan
would (with --verify-key, its signature), and writes the archive.`,
		Example: `  assay bundle pull oci://registry.example.com/policies/ssh-baseline:1.4.0 -o ssh-baseline.tar.gz --verify-key release.pub`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError(errors.New("pull needs -o FILE"))
			}
			bf.logger = logger(cmd)
			f, err := resolveOne(cmd, args[0], &bf)
			if err != nil {
				return err
			}
			if err := writeBytes(out, f.Artifact.Bytes()); err != nil {
				return scanError(err)
			}
			printArtifact(cmd, out, f)
			return nil
		},
	}
	bf.register(cmd.Flags())
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the archive to `FILE`")
	return cmd
}

func newBundleKeygenCmd() *cobra.Command {
	var (
		out  string
		kind string
	)
	cmd := &cobra.Command{
		Use:   "keygen -o NAME",
		Short: "Make a signing key pair: NAME.key (private) and NAME.pub",
		Long: `Keygen writes a new private key to NAME.key (mode 0600, PKCS#8 PEM) and its
public key to NAME.pub (PKIX PEM), as openssl genpkey and openssl pkey -pubout
would. Keep the private key in your CI's secret store; ship the public key to
every host that verifies.`,
		Example: `  assay bundle keygen -o release
  assay bundle keygen --type ecdsa -o release`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError(errors.New("keygen needs -o NAME"))
			}
			priv, pub, err := artifact.GenerateKey(kind)
			if err != nil {
				return usageError(err)
			}
			f, err := os.OpenFile(out+".key", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return usageError(err)
			}
			if _, err := f.Write(priv); err != nil {
				f.Close()
				return scanError(err)
			}
			if err := f.Close(); err != nil {
				return scanError(err)
			}
			if err := os.WriteFile(out+".pub", pub, 0o644); err != nil {
				return scanError(err)
			}
			keys, err := artifact.ParsePublicKeys(pub)
			if err != nil {
				return scanError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s.key, %s.pub: key %s (%s)\n", out, out, keys[0].ID, keys[0].Algorithm)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write NAME.key and NAME.pub")
	cmd.Flags().StringVar(&kind, "type", "ed25519", "key type: ed25519, rsa (3072 bits) or ecdsa (P-256)")
	return cmd
}

// resolveOne fetches and checks one source; every failure is exit 2.
func resolveOne(cmd *cobra.Command, src string, bf *bundleFlags) (*source.Resolved, error) {
	opts, err := bf.options()
	if err != nil {
		return nil, usageError(err)
	}
	if !source.IsRemote(src) && !strings.HasSuffix(src, ".tar.gz") && !strings.HasSuffix(src, ".tgz") {
		return nil, usageError(fmt.Errorf("%s: give a .tar.gz, an https:// URL or an oci://REF", src))
	}
	f, err := source.Resolve(cmd.Context(), src, opts)
	if err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", src, err))
	}
	if f.Stale {
		fmt.Fprintf(cmd.ErrOrStderr(), "assay: warning: %s\n", f.StaleReason)
	}
	return f, nil
}

func printArtifact(cmd *cobra.Command, name string, f *source.Resolved) {
	a := f.Artifact
	w := cmd.OutOrStdout()
	if m := a.Manifest; m != nil {
		fmt.Fprintf(w, "%s: %s %s", name, m.Name, m.Version)
		if m.Revision != "" {
			fmt.Fprintf(w, " (revision %s)", m.Revision)
		}
		fmt.Fprintf(w, ", %d files, %s", len(m.Files), a.Digest)
	} else {
		fmt.Fprintf(w, "%s: %s", name, a.Digest)
	}
	if a.KeyID != "" {
		fmt.Fprintf(w, ", signed by key %s", a.KeyID)
	}
	fmt.Fprintln(w)
}

// readArchive reads a bundle archive, which must be a regular file as for
// --bundle: O_NONBLOCK keeps a FIFO named like an archive from blocking the
// open, and fstat then refuses it.
func readArchive(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, usageError(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, usageError(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, usageError(fmt.Errorf("%s: not a bundle archive (a regular .tar.gz file made by 'assay bundle build')", name))
	}
	data, err := artifact.ReadLimited(f)
	if err != nil {
		return nil, usageError(fmt.Errorf("read %s: %w", name, err))
	}
	return data, nil
}

// writeBytes writes data to name atomically (writeFileAtomic).
func writeBytes(name string, data []byte) error {
	return writeFileAtomic(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
