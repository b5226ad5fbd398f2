// Package imageconfig collects how a container image runs: the user, the
// entrypoint and command, the names of its environment variables, exposed
// ports and labels, from the image's configuration rather than its files.
package imageconfig

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
)

// Name is the collector type; Kind is the kind of its one document.
const (
	Name = "image_config"
	Kind = "image.config"
)

// Type is the image_config collector type: collect "image_config" blocks.
func Type() collector.Type {
	return collector.Type{
		Name:          Name,
		DocumentKinds: []string{Kind},
		Help:          "user, entrypoint, environment variable names, ports and labels of an image's configuration",
		New:           collector.NoConfig(Collector{}),
	}
}

// Collector emits one image.config document for an image target and is
// not applicable to any other.
type Collector struct{}

// Collect implements collector.Collector.
func (Collector) Collect(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	img, ok := env.Target.(target.Image)
	if !ok {
		return fmt.Errorf("a %s target has no image configuration: %w", env.Target.Info().Kind, collector.ErrNotApplicable)
	}
	emit.Emit(Document(env.Name, img.ImageConfig()))
	return nil
}

// Document is the image.config document of c for the collector named name.
// Lists are never null, so that policies can count them.
func Document(name string, c target.ImageConfig) document.Document {
	doc := document.New(Kind, name)
	doc["user"] = c.User
	doc["entrypoint"] = list(c.Entrypoint)
	doc["cmd"] = list(c.Cmd)
	doc["working_dir"] = c.WorkingDir
	doc["env_names"] = list(c.EnvNames)
	doc["exposed_ports"] = list(c.ExposedPorts)
	labels := make(map[string]any, len(c.Labels))
	for k, v := range c.Labels {
		labels[k] = v
	}
	doc["labels"] = labels
	created := ""
	if !c.Created.IsZero() {
		created = c.Created.UTC().Format(time.RFC3339)
	}
	doc["created"] = created
	doc["os"] = c.OS
	doc["architecture"] = c.Architecture
	doc["variant"] = c.Variant
	return doc
}

func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
