// Package layers holds the test that keeps assay's imports pointing one
// way: down the tiers listed in its table (docs/architecture.md draws
// them). It has no code of its own.
package layers
