package gitremote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Class is what kind of answer a remote gave.
type Class int

const (
	// ClassOther is any other failure: a bug or an unexpected answer.
	ClassOther Class = iota
	// ClassTransient is a remote that cannot be reached now (network,
	// timeout): trying again later may pass.
	ClassTransient
	// ClassAuth is a remote that refused the credentials.
	ClassAuth
	// ClassNotFound is a missing repository or branch, or a repository
	// without a commit.
	ClassNotFound
	// ClassRejected is a push refused because the remote branch moved
	// (someone else pushed first): fetch, re-apply and push again.
	ClassRejected
)

// String returns the class's lower-case name.
func (c Class) String() string {
	if c < ClassOther || c > ClassRejected {
		c = ClassOther
	}
	return [...]string{"other", "transient", "auth", "not-found", "rejected"}[c]
}

// Kind is the failure kind of the class: refused credentials and a missing
// repository are bad input, an unreachable remote and a push that kept
// losing the race are transient.
func (c Class) Kind() failure.Kind {
	switch c {
	case ClassAuth, ClassNotFound:
		return failure.BadInput
	case ClassTransient, ClassRejected:
		return failure.Transient
	}
	return failure.Internal
}

// ErrRejected is wrapped by the error of a push the remote refused because
// the branch moved (see Rejected).
var ErrRejected = errors.New("the remote branch moved (push rejected): fetch and try again")

// RemoteError is a failure to talk to a git remote. Its text names the
// operation and the redacted URL, never a credential, and ends with what
// to check; Unwrap returns go-git's error, so errors.Is sees go-git's
// sentinels.
type RemoteError struct {
	// Op is what failed, as the gerund that starts the message: "cloning",
	// "pushing main to".
	Op string
	// URL is the remote, redacted (redact.URL).
	URL string
	// Class is what kind of answer the remote gave.
	Class Class

	msg  string // the redacted text of err
	from string // Remote.From
	err  error
}

func (e *RemoteError) Error() string {
	s := e.Op + " " + e.URL + ": " + e.msg
	if h := hint(e.err, e.Class, e.from); h != "" {
		s += ": " + h
	}
	return s
}

func (e *RemoteError) Unwrap() error { return e.err }

// Err classifies err, which talking to r failed with while doing op, as a
// *RemoteError wrapped with its class's failure kind (see Class.Kind). The
// text of err loses every credential of r first. A nil err stays nil.
func (r Remote) Err(op string, err error) error {
	if err == nil {
		return nil
	}
	class := classify(err)
	re := &RemoteError{Op: op, URL: redact.URL(r.URL), Class: class, msg: r.scrub(err.Error()), from: r.From, err: err}
	if class == ClassRejected && !errors.Is(err, ErrRejected) {
		re.err = fmt.Errorf("%w: %w", ErrRejected, err)
	}
	switch class.Kind() {
	case failure.BadInput:
		return failure.BadInputErr(re)
	case failure.Transient:
		return failure.TransientErr(re)
	}
	return re
}

// ClassOf returns the class of the *RemoteError in err's chain, ClassOther
// when there is none.
func ClassOf(err error) Class {
	var re *RemoteError
	if errors.As(err, &re) {
		return re.Class
	}
	return ClassOther
}

// scrub removes every credential of r from s: its URL's, its Auth's
// password, and its Secrets.
func (r Remote) scrub(s string) string {
	secrets := append(redact.URLSecrets(r.URL), r.Secrets...)
	if p := password(r.Auth); p != "" {
		secrets = append(secrets, p)
	}
	return redact.Secrets(s, secrets...)
}

// rejectedText are what remotes and go-git say of a push that lost a race.
var rejectedText = []string{"non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref", "failed to lock", "reference has changed", "stale info"}

// Rejected reports whether a push failed because the remote branch moved.
func Rejected(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, git.ErrNonFastForwardUpdate) || errors.Is(err, ErrRejected) {
		return true
	}
	msg := err.Error()
	for _, s := range rejectedText {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func classify(err error) Class {
	var nerr net.Error
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed), errors.Is(err, transport.ErrInvalidAuthMethod):
		return ClassAuth
	case errors.Is(err, transport.ErrRepositoryNotFound), errors.Is(err, transport.ErrEmptyRemoteRepository),
		errors.Is(err, plumbing.ErrReferenceNotFound), strings.Contains(err.Error(), "couldn't find remote ref"):
		return ClassNotFound
	case Rejected(err):
		return ClassRejected
	case errors.As(err, &nerr), errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "connection refused"):
		return ClassTransient
	}
	return ClassOther
}

// hint says what would make an operation of class c that failed with err
// pass; from is where the URL was given.
func hint(err error, c Class, from string) string {
	switch {
	case c == ClassAuth:
		return "check the git credentials"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return "the repository has no commit yet: push a first commit"
	case errors.Is(err, transport.ErrRepositoryNotFound) && from != "":
		return "check the repository URL in " + from
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return "check the repository URL"
	case c == ClassNotFound:
		return "check the branch"
	case c == ClassRejected:
		return "other writers kept pushing first; run again"
	case c == ClassTransient:
		return "check that the repository is reachable, then run again"
	}
	return ""
}
