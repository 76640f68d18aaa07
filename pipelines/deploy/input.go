package deploy

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/pipelines/failure"
)

var (
	// tagPattern is an OCI tag: what a version becomes in tag fields.
	tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	traceID    = regexp.MustCompile(`^[0-9a-f]{32}$`)
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// CheckRunID refuses a run id that is not one line of printable ASCII
// without spaces (a CI run id or URL, at most 256 characters): it goes
// into a commit trailer, where a line break would forge other trailers.
func CheckRunID(id string) error {
	if len(id) > 256 || strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return failure.BadInputErr(fmt.Errorf("run id %q: give one line of letters, digits and punctuation without spaces (a CI run id or URL), at most 256", id))
	}
	return nil
}

// CheckTraceID refuses a trace id that is not a W3C trace id (32 lower-case
// hex digits, not all zero); empty is no trace.
func CheckTraceID(id string) error {
	if id != "" && (!traceID.MatchString(id) || strings.Trim(id, "0") == "") {
		return failure.BadInputErr(fmt.Errorf("trace id %q: give a W3C trace id (32 lower-case hex digits, not all zero)", id))
	}
	return nil
}

// checkVersion refuses a version that is not an image tag: it is written
// to tag fields.
func checkVersion(v string) error {
	if v != "" && !tagPattern.MatchString(v) {
		return failure.BadInputErr(fmt.Errorf("version %q: give an image tag (letters, digits, _ . -, at most 128, not starting with . or -)", v))
	}
	return nil
}

// checkText refuses free-text values that are not one line of printable
// text, at most 512 characters: they go into the commit message and
// versions.yaml. Each pair is a flag name and its value.
func checkText(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		v := pairs[i+1]
		if len(v) > 512 || strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return failure.BadInputErr(fmt.Errorf("%s %q: give one line of printable text, at most 512 characters", pairs[i], v))
		}
	}
	return nil
}

// checkIDs checks the run and trace ids every verb records.
func checkIDs(runID, traceID string) error {
	if runID != "" {
		if err := CheckRunID(runID); err != nil {
			return err
		}
	}
	return CheckTraceID(traceID)
}

// imageFor returns the Image a bump writes for d: the service's repository
// as paved-gitops.yaml spells it. An image of another repository is
// refused (one whose path steps out of it, with . or .., is refused by
// oci.ParseDigest).
func (s *Service) imageFor(service string, d name.Digest, version string) (Image, error) {
	if !sameRepository(d.Context().Name(), s.Image) {
		return Image{}, failure.BadInputErr(fmt.Errorf("image %q is not of %s's repository %s (%s): bump an image of it, or change image there", d.String(), service, s.Image, ConfigFile))
	}
	if version == "" {
		version = d.DigestStr()[len("sha256:"):][:12]
	}
	return Image{Repository: s.Image, Digest: d.DigestStr(), Version: version}, nil
}

// sameRepository reports whether two repositories are the same once
// Docker's defaults are filled in (nginx is index.docker.io/library/nginx).
func sameRepository(a, b string) bool {
	if a == b {
		return true
	}
	ra, err1 := name.NewRepository(a)
	rb, err2 := name.NewRepository(b)
	return err1 == nil && err2 == nil && ra.Name() == rb.Name()
}

// checkImageName refuses a service image that is not a repository.
func checkImageName(image string) error {
	if image == "" {
		return errors.New("image is missing: give the repository its images come from (REGISTRY/NAME); bumps of any other repository are refused")
	}
	// A tag or digest is no repository: name.NewRepository refuses : and @
	// in the path.
	if _, err := name.NewRepository(image); err != nil {
		return fmt.Errorf("image %q: give a repository (REGISTRY/NAME) without tag or digest", image)
	}
	return nil
}

// relative refuses a file setting that leaves the service's directory.
func relative(key, p string) error {
	if path.IsAbs(p) || strings.HasPrefix(path.Clean(p), "..") {
		return fmt.Errorf("%s %q: give a file of the service's path (relative, without ..)", key, p)
	}
	return nil
}
