package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets/image"
)

// maxLoggedSkips bounds the per-entry warnings about an image's skipped
// layer entries; the count is always logged.
const maxLoggedSkips = 20

func init() {
	imageOpener = func(ctx context.Context, ref string, f *targetFlags) (target.Target, error) {
		// A malformed or oversized image is the user's to fix (exit 2); a
		// registry that cannot be reached is a failed scan (exit 3).
		img, err := image.Open(ctx, ref, image.Options{Platform: f.platform, Insecure: f.insecureRegistry})
		if errors.Is(err, image.ErrFetch) && !errors.Is(err, image.ErrPlainHTTP) {
			return nil, scanError(err)
		}
		if err != nil {
			return nil, usageError(err)
		}
		l := f.logger
		if l == nil {
			l = slog.Default()
		}
		logImageSkips(l, img)
		return img, nil
	}
}

// logImageSkips reports the layer entries the image index did not take:
// hostile names, links out of the root, unreadable sparse files.
func logImageSkips(logger *slog.Logger, img *image.Image) {
	if img.SkipsTotal() == 0 {
		return
	}
	for i, s := range img.Skips() {
		if i == maxLoggedSkips {
			break
		}
		logger.Warn("image entry skipped", "path", s.Path, "reason", s.Reason)
	}
	logger.Warn("image entries skipped", "image", img.Info().Name, "count", img.SkipsTotal())
}
