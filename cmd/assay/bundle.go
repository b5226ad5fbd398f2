package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle/source"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) bundleCmd() *cobra.Command {
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
	cmd.AddCommand(c.bundleBuildCmd(), bundleSignCmd(), c.bundleVerifyCmd(), bundlePushCmd(), c.bundlePullCmd(), bundleKeygenCmd())
	return cmd
}

func (c *cli) bundleBuildCmd() *cobra.Command {
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
			built, err := c.env(cmd).BuildBundle(cmd.Context(), args[0], pipeline.BuildOptions{
				Output: out, Version: version, Revision: revision, AssayVersion: assayVersion, SkipTests: skipTests,
				Tested: func(results []engine.TestResult) {
					printTestResults(cmd.ErrOrStderr(), cmd.ErrOrStderr(), &engine.TestRun{Results: results}, false)
				},
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s, %d files, %s\n", built.File, built.Manifest.Name, built.Manifest.Version, built.Files, built.Digest)
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

func bundleSignCmd() *cobra.Command {
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
			signed, err := pipeline.SignBundle(cmd.Context(), args[0], keyFile, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: signed with key %s (%s)\n", signed.File, signed.Key.ID, signed.Key.Algorithm)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "PEM private key `FILE`")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the signed archive to `FILE` (default: in place)")
	return cmd
}

func (c *cli) bundleVerifyCmd() *cobra.Command {
	var fetch pipeline.FetchOptions
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
			if len(fetch.VerifyKeys) == 0 {
				return exitcode.UsageError(errors.New("verify needs --verify-key FILE, a PEM public key"))
			}
			r, err := c.env(cmd).ResolveBundle(cmd.Context(), args[0], fetch)
			if err != nil {
				return err
			}
			printArtifact(cmd, args[0], r)
			return nil
		},
	}
	registerFetch(cmd.Flags(), &fetch)
	return cmd
}

func bundlePushCmd() *cobra.Command {
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
			ref, err := pipeline.PushBundle(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "oci://%s\n", ref)
			return nil
		},
	}
	return cmd
}

func (c *cli) bundlePullCmd() *cobra.Command {
	var (
		fetch pipeline.FetchOptions
		out   string
	)
	cmd := &cobra.Command{
		Use:   "pull SOURCE -o FILE",
		Short: "Fetch a bundle from a registry or a URL into a file",
		Long: `Pull fetches a bundle (oci://REF or an https:// URL), checks it as a scan
would (with --verify-key, its signature), and writes the archive.`,
		Example: `  assay bundle pull oci://registry.example.com/policies/ssh-baseline:1.4.0 -o ssh-baseline.tar.gz --verify-key release.pub`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := c.env(cmd).PullBundle(cmd.Context(), args[0], out, fetch)
			if err != nil {
				return err
			}
			printArtifact(cmd, out, r)
			return nil
		},
	}
	registerFetch(cmd.Flags(), &fetch)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the archive to `FILE`")
	return cmd
}

func bundleKeygenCmd() *cobra.Command {
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
			key, err := pipeline.GenerateKey(out, kind)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s.key, %s.pub: key %s (%s)\n", out, out, key.ID, key.Algorithm)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write NAME.key and NAME.pub")
	cmd.Flags().StringVar(&kind, "type", "ed25519", "key type: ed25519, rsa (3072 bits) or ecdsa (P-256)")
	return cmd
}

// printArtifact prints what was verified or pulled, and warns on stderr
// when the copy came from the cache.
func printArtifact(cmd *cobra.Command, name string, r *source.Resolved) {
	if r.Stale {
		fmt.Fprintf(cmd.ErrOrStderr(), "assay: warning: %s\n", r.StaleReason)
	}
	a := r.Artifact
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
