package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/assay-dev/assay/bundle/artifact"
)

// Media types of a bundle in a registry: an OCI image manifest whose
// artifactType is ArtifactType, an empty config, and one layer, the
// archive.
const (
	ArtifactType   = "application/vnd.assay.bundle.v1"
	LayerMediaType = "application/vnd.assay.bundle.layer.v1.tar+gzip"
	emptyMediaType = "application/vnd.oci.empty.v1+json"
)

func parseOCI(src string) (name.Reference, error) {
	ref, err := name.ParseReference(strings.TrimPrefix(src, "oci://"))
	if err != nil {
		return nil, fmt.Errorf("bad registry reference: %w", err)
	}
	return ref, nil
}

func (r *resolver) remoteOptions(ctx context.Context) []remote.Option {
	return append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, r.opts.Remote...)
}

// fetchOCI gets the manifest (verified against the digest when the
// reference has one), then the layer, verified against the manifest. An
// unchanged manifest digest reuses the cached archive.
func (r *resolver) fetchOCI(ctx context.Context, src string, cached *entry) ([]byte, string, error) {
	ref, err := parseOCI(src)
	if err != nil {
		return nil, "", err
	}
	opts := r.remoteOptions(ctx)
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, "", err
	}
	// go-containerregistry compares a digest reference with the manifest;
	// check again here so that the rule does not hang on its internals.
	if d, ok := ref.(name.Digest); ok {
		sum := sha256.Sum256(desc.Manifest)
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != d.DigestStr() {
			return nil, "", fmt.Errorf("the registry returned manifest %s for %s", got, d.DigestStr())
		}
	}
	if desc.MediaType != types.OCIManifestSchema1 {
		return nil, "", fmt.Errorf("%s is a %s, not an assay bundle (push one with 'assay bundle push')", ref, desc.MediaType)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, "", fmt.Errorf("manifest: %w", err)
	}
	var layer *v1.Descriptor
	for i := range m.Layers {
		if m.Layers[i].MediaType == LayerMediaType {
			if layer != nil {
				return nil, "", fmt.Errorf("%s has two bundle layers", ref)
			}
			layer = &m.Layers[i]
		}
	}
	if layer == nil {
		return nil, "", fmt.Errorf("%s has no layer of type %s: it is not an assay bundle", ref, LayerMediaType)
	}
	if layer.Size > artifact.MaxArchiveSize {
		return nil, "", fmt.Errorf("the bundle layer has %d bytes, more than %d MiB", layer.Size, artifact.MaxArchiveSize>>20)
	}
	meta := desc.Digest.String()
	if cached != nil && cached.meta == meta {
		return cached.data, meta, nil
	}
	l, err := remote.Layer(ref.Context().Digest(layer.Digest.String()), opts...)
	if err != nil {
		return nil, "", err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	data, err := artifact.ReadLimited(rc)
	if err != nil {
		return nil, "", fmt.Errorf("download the bundle layer: %w", err)
	}
	sum := sha256.Sum256(data)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != layer.Digest.String() || int64(len(data)) != layer.Size {
		return nil, "", fmt.Errorf("the registry returned layer %s (%d bytes) for %s (%d bytes)", got, len(data), layer.Digest, layer.Size)
	}
	return data, meta, nil
}

// PushOptions configure Push.
type PushOptions struct {
	Remote []remote.Option
}

// Push uploads a bundle archive (checked with artifact.Open first) to a
// registry as an OCI artifact, and returns its reference by digest. The
// manifest carries the bundle's name, version and revision as
// annotations.
func Push(ctx context.Context, data []byte, dst string, opts PushOptions) (string, error) {
	a, err := artifact.Open(ctx, data, "archive", artifact.Options{})
	if err != nil {
		return "", err
	}
	ref, err := parseOCI(dst)
	if err != nil {
		return "", err
	}
	ropts := append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts.Remote...)
	cfg := static.NewLayer([]byte("{}"), emptyMediaType)
	layer := static.NewLayer(data, LayerMediaType)
	for _, l := range []v1.Layer{cfg, layer} {
		if err := remote.WriteLayer(ref.Context(), l, ropts...); err != nil {
			return "", fmt.Errorf("push to %s: %w", ref.Context(), err)
		}
	}
	cfgDesc, err := descriptor(cfg, nil)
	if err != nil {
		return "", err
	}
	cfgDesc.Data = []byte("{}")
	annotations := map[string]string{}
	title := "bundle.tar.gz"
	if m := a.Manifest; m != nil {
		title = m.Name + ".tar.gz"
		annotations["org.opencontainers.image.title"] = m.Name
		if m.Version != "" {
			annotations["org.opencontainers.image.version"] = m.Version
		}
		if m.Revision != "" {
			annotations["org.opencontainers.image.revision"] = m.Revision
		}
	}
	layerDesc, err := descriptor(layer, map[string]string{"org.opencontainers.image.title": title})
	if err != nil {
		return "", err
	}
	manifest := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  ArtifactType,
		Config:        cfgDesc,
		Layers:        []v1.Descriptor{layerDesc},
		Annotations:   annotations,
	}
	raw, err := json.Marshal(manifest)
	if err != nil {
		return "", err
	}
	if err := remote.Put(ref, rawManifest(raw), ropts...); err != nil {
		return "", fmt.Errorf("push to %s: %w", ref, err)
	}
	sum := sha256.Sum256(raw)
	return ref.Context().Digest("sha256:" + hex.EncodeToString(sum[:])).String(), nil
}

func descriptor(l v1.Layer, annotations map[string]string) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	size, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d, Annotations: annotations}, nil
}

// rawManifest is a manifest to remote.Put.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error) { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) {
	return types.OCIManifestSchema1, nil
}
