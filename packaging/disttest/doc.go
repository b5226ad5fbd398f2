// Package disttest holds the tests of the release artifacts: the archives,
// SBOMs and checksums, the .deb (lintian, installed with dpkg and removed
// again), the .rpm, the systemd units, the container image (scanned by
// assay itself), the GitHub Action (its steps run as a runner would), the
// pre-commit hooks and the GitLab example. They need the artifacts: `make
// dist-test` builds them and runs these tests with ASSAY_DIST set to the
// dist directory; without it they skip. It has no code of its own.
package disttest
