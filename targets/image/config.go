package image

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/assay-dev/assay/core/target"
)

// ImageConfig implements target.Image: how the image runs, as its config
// says, with environment variable names but not their values.
func (im *Image) ImageConfig() target.ImageConfig { return im.config }

// imageConfig keeps what policies may judge of a config file. Environment
// values are dropped here, so that no document can carry a secret baked
// into the image.
func imageConfig(cf *v1.ConfigFile) target.ImageConfig {
	c := cf.Config
	ic := target.ImageConfig{
		User:         c.User,
		Entrypoint:   slices.Clone(c.Entrypoint),
		Cmd:          slices.Clone(c.Cmd),
		WorkingDir:   c.WorkingDir,
		Labels:       map[string]string{},
		Created:      cf.Created.Time,
		OS:           cf.OS,
		Architecture: cf.Architecture,
		Variant:      cf.Variant,
	}
	for _, kv := range c.Env {
		name, _, _ := strings.Cut(kv, "=")
		ic.EnvNames = append(ic.EnvNames, name)
	}
	for p := range c.ExposedPorts {
		ic.ExposedPorts = append(ic.ExposedPorts, p)
	}
	slices.Sort(ic.ExposedPorts)
	for k, v := range c.Labels {
		ic.Labels[k] = v
	}
	return ic
}

// remoteConfig fetches an image's config from its registry, refusing one
// the manifest says is larger than maxMetadata (go-containerregistry
// checks the size and digest as it reads).
func remoteConfig(img v1.Image) (*v1.ConfigFile, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrFetch, err)
	}
	if m.Config.Size > maxMetadata {
		return nil, malformed("config %s: %d bytes, larger than %d", m.Config.Digest, m.Config.Size, maxMetadata)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%w: config %s: %w", ErrFetch, m.Config.Digest, err)
	}
	return parseConfig(m.Config.Digest.String(), raw)
}

func parseConfig(name string, raw []byte) (*v1.ConfigFile, error) {
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, malformed("config %s: %v", name, err)
	}
	return cf, nil
}
