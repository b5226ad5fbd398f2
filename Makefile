# assay — see README.md. `make run` scans this host with the built-in
# bundles; `make test` installs what the tests need and runs them all.
GO        ?= go
BIN       := bin/assay
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/assay-dev/assay/cmd/assay/internal/version.Version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
# The conftest the differential tests compare with (cmd/assay
# conftest_parity_test.go): built once with go install into TOOLS, outside
# the repository, and found by the tests through ASSAY_CONFTEST.
CONFTEST_VERSION := v0.71.1
TOOLS    ?= $(abspath $(shell $(GO) env GOCACHE)/../assay-tools)
CONFTEST := $(TOOLS)/conftest-$(CONFTEST_VERSION)

# Release artifacts (make dist, make image): where, for which platforms, and
# the time every timestamp in them takes (the last commit's). Their Go tools
# (packaging/tools.sh: nfpm, cyclonedx-gomod, actionlint) share TOOLS.
DIST       ?= dist
PLATFORMS  ?= linux/amd64 linux/arm64
IMAGE_ARCH ?= amd64
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: all build run test test-unit test-e2e deps conftest lint fmt bench update-golden docs clean sshd-oracles sshd-oracles-live dist image dist-test

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/assay

# Findings are the point of a scan, so exit code 1 (violations) is not a
# make failure here; 2 and 3 (bad input, failed scan) are.
run: build
	@./$(BIN) scan $(ARGS); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 1 ]

deps:
	./.ci/install-deps.sh

test: deps conftest
	$(GO) vet ./...
	ASSAY_CONFTEST=$(CONFTEST) $(GO) test -race -timeout 12m ./...

# Nothing to do when the binary is there. The go line of conftest's go.mod
# is this machine's Go, so the install never switches toolchains.
conftest: $(CONFTEST)
$(CONFTEST):
	@mkdir -p $(TOOLS)
	rm -rf $(TOOLS)/.gobin-$(CONFTEST_VERSION)
	GOFLAGS= GOTOOLCHAIN=local GOBIN=$(TOOLS)/.gobin-$(CONFTEST_VERSION) $(GO) install github.com/open-policy-agent/conftest@$(CONFTEST_VERSION)
	mv $(TOOLS)/.gobin-$(CONFTEST_VERSION)/conftest $@
	rmdir $(TOOLS)/.gobin-$(CONFTEST_VERSION)

test-unit:
	$(GO) test ./...

# End-to-end tests run the built binary through testscript (cmd/assay/testdata/script).
test-e2e:
	$(GO) test -run TestScript ./cmd/assay/...

# Only the packages that define -update get it: any other test binary
# would refuse the unknown flag.
update-golden:
	$(GO) test $$(grep -rlE 'flag\.Bool\("update"|assay/internal/golden"' --include='*_test.go' . | xargs -n1 dirname | sort -u) -update

# go mod tidy -diff prints the diff and fails when go.mod/go.sum are not tidy.
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

bench:
	@for s in bench/*.sh; do [ $$s = bench/report.sh ] && continue; echo "== $$s"; bash $$s || exit 1; done

docs:
	$(GO) run ./cmd/assay docs docs/cli
	$(GO) run ./cmd/assay schema --write-dir docs/schemas

# The sshd collector's oracle: build every modelled OpenSSH release from a
# clone of openssh-portable (OPENSSH_SRC) and record what their sshd -T
# prints into collectors/sshd/testdata/releases and releases/ (make test
# compares the collector with those goldens). sshd-oracles-live compares
# the collector with the built binaries directly; it is not part of make
# test. Builds are kept in SSHD_BUILD_DIR (default /tmp/openssh-build).
sshd-oracles:
	OPENSSH_SRC=$(OPENSSH_SRC) ./collectors/sshd/oracle/sshd-oracles.sh record

sshd-oracles-live:
	OPENSSH_SRC=$(OPENSSH_SRC) ./collectors/sshd/oracle/sshd-oracles.sh live

# Static binaries, .tar.gz archives (man pages, completions), CycloneDX
# SBOMs, .deb and .rpm, SHA256SUMS: packaging/dist.sh says what and how.
dist:
	ASSAY_TOOLS=$(TOOLS) DIST=$(DIST) PLATFORMS='$(PLATFORMS)' VERSION=$(VERSION) SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) ./packaging/dist.sh

# The container image, from make dist's static binary, without a daemon:
# an OCI layout ($(DIST)/assay-image-oci) and a docker-save tarball
# ($(DIST)/assay-image.tar).
image:
	@test -x $(DIST)/bin/linux_$(IMAGE_ARCH)/assay || $(MAKE) dist PLATFORMS=linux/$(IMAGE_ARCH)
	$(GO) run ./packaging/mkimage -binary $(DIST)/bin/linux_$(IMAGE_ARCH)/assay -arch $(IMAGE_ARCH) \
		-version $(VERSION) -revision "$$(git rev-parse HEAD 2>/dev/null)" -created $(SOURCE_DATE_EPOCH) \
		-oci $(DIST)/assay-image-oci -tar $(DIST)/assay-image.tar

# Builds the artifacts (one platform packaged, twice, to check that they are
# reproducible; the others compiled) and checks each: packaging/dist-test.sh.
dist-test:
	ASSAY_TOOLS=$(TOOLS) DIST=$(DIST) VERSION=$(VERSION) SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) ./packaging/dist-test.sh

clean:
	rm -rf bin $(DIST)
