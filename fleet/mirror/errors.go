package mirror

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// RemoteError is a failure to talk to a repository's remote: unreachable,
// not found, refused credentials. Its text never holds the URL's password.
type RemoteError struct {
	URL string
	Err error
}

func (e *RemoteError) Error() string {
	msg := "fetching " + redact.URL(e.URL) + ": " + redact.Text(strings.ReplaceAll(e.Err.Error(), e.URL, redact.URL(e.URL)))
	if h := hint(e.Err); h != "" {
		msg += ": " + h
	}
	return msg
}

func (e *RemoteError) Unwrap() error { return e.Err }

// Classify returns err classified for the CLI: a missing repository or
// refused credentials are bad input, a network failure is transient.
func Classify(err error) error {
	var re *RemoteError
	if !errors.As(err, &re) {
		return err
	}
	var nerr net.Error
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound), errors.Is(err, transport.ErrEmptyRemoteRepository),
		errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod), strings.Contains(err.Error(), "couldn't find remote ref"):
		return failure.BadInputErr(err)
	case errors.As(err, &nerr), errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "connection refused"):
		return failure.TransientErr(err)
	}
	return err
}

func hint(err error) string {
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return "check the repository URL in the fleet file"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return "the repository has no commit yet"
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed), errors.Is(err, transport.ErrInvalidAuthMethod):
		return "check the git credentials"
	case strings.Contains(err.Error(), "couldn't find remote ref"):
		return "check the branch"
	}
	return ""
}

// remote reports whether err is the remote's answer (not found, refused,
// unreachable), where fetching into a fresh copy would not help.
func remote(err error) bool {
	return failure.KindOf(Classify(err)) != failure.Internal
}
