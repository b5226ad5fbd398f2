package target

import "time"

// Image is implemented by targets that are container images: besides their
// files, they carry the configuration a runtime starts them with.
// Collectors find it with a type assertion on their Env.Target.
type Image interface {
	Target
	// ImageConfig returns the image's runtime configuration.
	ImageConfig() ImageConfig
}

// ImageConfig is what an image's configuration (the OCI image config, or
// the config JSON of a docker-save tarball) says about how it runs.
//
// Environment variables are given by name only: their values (tokens,
// passwords baked in at build time) never leave the target, so no
// document, report or log can carry them.
type ImageConfig struct {
	// User is the user (and group) the entrypoint runs as, as written:
	// "", "root", "0", "nobody", "65534:65534".
	User       string
	Entrypoint []string
	Cmd        []string
	WorkingDir string
	// EnvNames are the names of the environment variables, in the
	// config's order, without their values.
	EnvNames []string
	// ExposedPorts are "PORT/PROTO" ("8080/tcp"), sorted.
	ExposedPorts []string
	Labels       map[string]string
	// Created is the image's creation time (zero when absent).
	Created      time.Time
	OS           string
	Architecture string
	Variant      string
}
