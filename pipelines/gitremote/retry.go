package gitremote

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Backoff is how often, and how patiently, Retry tries a push.
type Backoff struct {
	// Attempts is the most tries, the first included (at least 1).
	Attempts int
	// First is the wait before the second try; each later wait doubles,
	// up to Max. Every wait is drawn at random from its upper half, so
	// writers that lost the same race do not retry in step.
	First, Max time.Duration
}

// exponential is b's schedule on cenkalti/backoff: an interval i with a
// randomization factor of 1/3 spans [2i/3, 4i/3], so i = 3d/4 gives
// [d/2, d].
func (b Backoff) exponential() *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{
		InitialInterval:     b.First * 3 / 4,
		RandomizationFactor: 1.0 / 3,
		Multiplier:          2,
		MaxInterval:         max(b.First, b.Max) * 3 / 4,
	}
}

// Retry calls try until it succeeds, fails with anything but a rejected
// push (see Rejected), or b.Attempts are used up, waiting between tries as
// b says. try gets the attempt number, from 1; from the second on it must
// start from the remote's fresh state (Reset, or a new clone) and apply
// its edit again. Retry returns try's last error as it is, or, when ctx
// ends before the next try, that error and the context's, as transient.
func Retry(ctx context.Context, b Backoff, try func(attempt int) error) error {
	attempt := 0
	var last error
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		last = try(attempt)
		if last != nil && !Rejected(last) {
			return struct{}{}, backoff.Permanent(last)
		}
		return struct{}{}, last
	}, backoff.WithBackOff(b.exponential()), backoff.WithMaxTries(uint(max(1, b.Attempts))), backoff.WithMaxElapsedTime(0))
	// On the last attempt backoff returns the error still wrapped as
	// permanent; unwrapped, it is the attempt's own error with its kind.
	if p, ok := err.(*backoff.PermanentError); ok {
		err = p.Unwrap()
	}
	if err != nil && err != last {
		return failure.TransientErr(fmt.Errorf("%w (stopped waiting to try again: %w)", last, err))
	}
	return err
}
