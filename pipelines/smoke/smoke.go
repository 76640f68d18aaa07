// Package smoke starts a built image and checks that it answers its health
// endpoint, without a container daemon: the image's layers are unpacked into
// an OCI runtime bundle (Unpack), its config.json is made from the image
// config with the host's network (Spec), runc runs it detached (Runc.Start),
// and Check polls the health URL on loopback, then kills the container.
//
// It needs root and a runc binary (Debian's runc package works). Where
// neither is available (a rootless CI runner, macOS), start the same image
// with a container runtime that is there, for example
// `docker run --network host IMAGE` or `podman run --network host IMAGE`,
// and curl the health endpoint.
package smoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrExited is returned when the container stops before it is healthy.
var ErrExited = errors.New("container exited")

// Result is what a smoke check saw.
type Result struct {
	// ID is the container's runc id.
	ID string `json:"id"`
	// URL is the health endpoint that was polled.
	URL string `json:"url"`
	// Status is the HTTP status of the last answer (0 when none came).
	Status int `json:"status"`
	// Body is the last answer's body, up to 4 KiB.
	Body string `json:"body"`
	// Healthy says the endpoint answered 200 before the deadline.
	Healthy bool `json:"healthy"`
	// Seconds from start to the first 200 (or to giving up).
	Seconds float64 `json:"seconds"`
	// Logs is what the container wrote to stdout and stderr.
	Logs string `json:"logs"`
}

// Check starts img with rt, polls healthURL until it answers 200 or ctx is
// done, stops the container and returns what it saw. A container that never
// becomes healthy is an error that carries the last answer and its logs.
func Check(ctx context.Context, rt *Runc, img v1.Image, healthURL string, s Spec) (*Result, error) {
	start := time.Now()
	c, err := rt.Start(ctx, img, s)
	if err != nil {
		return nil, err
	}
	res := &Result{ID: c.ID, URL: healthURL}
	werr := c.WaitHealthy(ctx, healthURL, res)
	res.Seconds = time.Since(start).Seconds()
	res.Logs = string(c.Logs())
	serr := c.Stop(context.WithoutCancel(ctx))
	if werr != nil {
		return res, fmt.Errorf("checking %q of container %s: %w\n%s", healthURL, c.ID, werr, tail(res.Logs, 20))
	}
	res.Healthy = true
	return res, serr
}

// WaitHealthy polls url every 100 ms until it answers 200, the container
// exits (ErrExited) or ctx is done; res, when not nil, gets the last answer.
func (c *Container) WaitHealthy(ctx context.Context, url string, res *Result) error {
	if res == nil {
		res = &Result{}
	}
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// An answer (a status and body) says more than a refused connection, so
	// it is kept when later tries fail to connect or hit the deadline.
	var answer, last error
	for {
		if code, body, err := get(ctx, client, url); err != nil {
			last = err
		} else {
			res.Status, res.Body = code, body
			if code == http.StatusOK {
				return nil
			}
			answer = fmt.Errorf("answered %d: %s", code, body)
		}
		if answer != nil {
			last = answer
		}
		if ctx.Err() == nil && !c.running(context.WithoutCancel(ctx)) {
			return fmt.Errorf("%w before it answered: %v", ErrExited, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no 200 before the deadline (%w); last: %v", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

func get(ctx context.Context, client *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, string(body), nil
}
