package candidate

import (
	"context"
	"errors"

	"github.com/paved-dev/paved/release/changelog"
)

// NextVersion returns the release version ("vX.Y.Z") the Unreleased notes
// of notes (CHANGELOG.md's content) call for after the latest release tag
// reachable from repo's HEAD (v0.1.0 when there is none): the version
// paved release publish will compute, whose candidates are vX.Y.Z-rc.N.
func NextVersion(ctx context.Context, repo string, notes []byte) (string, error) {
	tag, _, err := LatestRelease(ctx, repo)
	if err != nil && !errors.Is(err, ErrNoRelease) {
		return "", err
	}
	return changelog.NextVersion(notes, tag)
}
