// Package failure classifies errors so that the CLI can map them to
// documented exit codes.
//
// Libraries wrap an error once with the class that fits (Policy, BadInput,
// Transient); anything unclassified is Internal. The class survives further
// wrapping with fmt.Errorf("...: %w", err), and only the CLI edge turns it into
// an exit code (see cmd/paved).
package failure

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Kind is the class of a failure. Its numeric value is the exit code that the
// paved CLI documents for it.
type Kind int

const (
	// OK is no failure (exit 0).
	OK Kind = 0
	// Internal is a bug or an unexpected condition (exit 1).
	Internal Kind = 1
	// BadInput is a usage error or input the user must fix: a missing file,
	// a malformed Dockerfile, an unknown flag (exit 2).
	BadInput Kind = 2
	// Policy is a policy violation: a denied base image, a failed
	// vulnerability gate, a failed verification (exit 3).
	Policy Kind = 3
	// Transient is a network or availability failure that may pass on retry:
	// an unreachable registry, a timeout (exit 4).
	Transient Kind = 4
)

// String returns the lower-case name of the kind.
func (k Kind) String() string {
	switch k {
	case OK:
		return "ok"
	case BadInput:
		return "bad input"
	case Policy:
		return "policy violation"
	case Transient:
		return "transient"
	default:
		return "internal"
	}
}

// classified carries a Kind through an error chain.
type classified struct {
	kind Kind
	err  error
}

func (c *classified) Error() string { return c.err.Error() }
func (c *classified) Unwrap() error { return c.err }

func wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &classified{kind: k, err: err}
}

// BadInputErr wraps err as a bad-input failure. A nil err stays nil.
func BadInputErr(err error) error { return wrap(BadInput, err) }

// PolicyErr wraps err as a policy violation. A nil err stays nil.
func PolicyErr(err error) error { return wrap(Policy, err) }

// TransientErr wraps err as a transient failure. A nil err stays nil.
func TransientErr(err error) error { return wrap(Transient, err) }

// InternalErr wraps err as an internal failure. A nil err stays nil.
func InternalErr(err error) error { return wrap(Internal, err) }

// ExitCode returns the exit code the paved CLI documents for k: 0 ok,
// 1 internal, 2 bad input, 3 policy, 4 transient. The run record stores it
// (failure.exitCode) so a reader of the record knows what CI saw.
func ExitCode(k Kind) int { return int(k) }

// KindOf returns the outermost class found in err's chain: OK for a nil
// error, Internal when nothing in the chain was classified.
func KindOf(err error) Kind {
	if err == nil {
		return OK
	}
	var c *classified
	if errors.As(err, &c) {
		return c.kind
	}
	return Internal
}

// Panic is a recovered panic: a bug in paved. It is Internal, and its text
// asks for a report; Stack is the goroutine's stack for that report.
type Panic struct {
	Value any
	Stack []byte
}

func (p *Panic) Error() string {
	return fmt.Sprintf("internal error (a bug in paved, please report it): panic: %v", p.Value)
}

// Recover turns a panic into *err as a *Panic, classified Internal. Call
// it deferred, in every goroutine paved starts for a step:
//
//	defer failure.Recover(&err)
func Recover(err *error) {
	if p := recover(); p != nil {
		*err = InternalErr(&Panic{Value: p, Stack: debug.Stack()})
	}
}
