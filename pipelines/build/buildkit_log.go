package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	bkclient "github.com/moby/buildkit/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/opencontainers/go-digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/paved-dev/paved/pipelines/failure"
)

// tailLines is how many lines of a failed step's output an error carries.
const tailLines = 20

// mask replaces secret values in build output.
const mask = "****"

// stepLog follows a build's status stream: it writes complete lines of
// step output to w with secret values masked, and keeps the last lines of
// each step for the error of a step that fails.
type stepLog struct {
	w       io.Writer
	secrets [][]byte
	names   map[digest.Digest]string
	order   map[digest.Digest]int
	partial map[digest.Digest][]byte
	tails   map[digest.Digest][]string
	failed  []digest.Digest
}

func newStepLog(w io.Writer, secrets map[string][]byte) *stepLog {
	l := &stepLog{w: w, names: map[digest.Digest]string{}, order: map[digest.Digest]int{},
		partial: map[digest.Digest][]byte{}, tails: map[digest.Digest][]string{}}
	for _, v := range secrets {
		l.secrets = append(l.secrets, secretForms(v)...)
	}
	// Longest first, so a value is masked before any part of it.
	sort.Slice(l.secrets, func(i, j int) bool { return len(l.secrets[i]) > len(l.secrets[j]) })
	return l
}

// secretForms are the byte strings that reveal a secret: the value, the
// value without surrounding space, and each of its lines.
func secretForms(v []byte) [][]byte {
	var out [][]byte
	for _, f := range append([][]byte{v, bytes.TrimSpace(v)}, bytes.Split(v, []byte("\n"))...) {
		if f = bytes.TrimSpace(f); len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
}

func (l *stepLog) redact(b []byte) []byte {
	for _, s := range l.secrets {
		b = bytes.ReplaceAll(b, s, []byte(mask))
	}
	return b
}

// add records one status message.
func (l *stepLog) add(st *bkclient.SolveStatus) {
	for _, v := range st.Vertexes {
		if _, ok := l.order[v.Digest]; !ok {
			l.order[v.Digest] = len(l.order) + 1
		}
		l.names[v.Digest] = string(l.redact([]byte(v.Name)))
		if v.Error != "" && !strings.Contains(v.Error, context.Canceled.Error()) {
			l.failed = append(l.failed, v.Digest)
		}
	}
	for _, lg := range st.Logs {
		buf := append(l.partial[lg.Vertex], lg.Data...)
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			l.line(lg.Vertex, buf[:i])
			buf = buf[i+1:]
		}
		l.partial[lg.Vertex] = append([]byte(nil), buf...)
	}
}

// line writes and keeps one complete line of a step's output.
func (l *stepLog) line(v digest.Digest, b []byte) {
	s := string(l.redact(bytes.TrimRight(b, "\r")))
	if l.w != nil {
		fmt.Fprintf(l.w, "#%d %s\n", l.order[v], s)
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	t := append(l.tails[v], s)
	if len(t) > tailLines {
		t = t[len(t)-tailLines:]
	}
	l.tails[v] = t
}

// tail returns the last lines of the first failed step's output and its
// name.
func (l *stepLog) tail() (string, []string) {
	for _, v := range l.failed {
		if rest := l.partial[v]; len(rest) > 0 {
			l.line(v, rest)
			l.partial[v] = nil
		}
		return l.names[v], l.tails[v]
	}
	return "", nil
}

// solveErr turns a failed solve into one classified error: a failing step
// is bad input at its Dockerfile line with its output's tail; a daemon or
// registry that cannot be reached is transient.
func (b *buildkitBuilder) solveErr(ctx context.Context, file string, err error, logs *stepLog) error {
	if ctx.Err() != nil {
		return fmt.Errorf("building %q with BuildKit: %w", file, ctx.Err())
	}
	msg := string(logs.redact([]byte(rootMessage(err))))
	where := file
	if srcs := errdefs.Sources(err); len(srcs) > 0 && len(srcs[0].Ranges) > 0 {
		where = fmt.Sprintf("%s:%d", file, srcs[0].Ranges[0].Start.Line)
	}
	var exit *gatewaypb.ExitError
	if errors.As(err, &exit) {
		step, tail := logs.tail()
		out := ""
		if len(tail) > 0 {
			out = "; output ends with: " + strings.Join(tail, " | ")
		}
		return failure.BadInputErr(fmt.Errorf("%s: %s failed with exit code %d%s: fix the step or its inputs", where, step, exit.ExitCode, out))
	}
	if s, ok := status.FromError(errors.Unwrap(err)); ok && s.Code() == codes.Unavailable || transientText(msg) {
		return failure.TransientErr(fmt.Errorf("building %q with BuildKit at %q: %s: retry, or check the daemon and the registries it pulls from", file, b.cfg.Host, msg))
	}
	if len(errdefs.Sources(err)) > 0 {
		return failure.BadInputErr(fmt.Errorf("%s: %s: fix the Dockerfile or the build context", where, msg))
	}
	return fmt.Errorf("building %q with BuildKit at %q: %s", file, b.cfg.Host, msg)
}

// rootMessage is err's message without BuildKit's stack of wrappers.
func rootMessage(err error) string {
	msg := err.Error()
	return strings.TrimPrefix(msg, "failed to solve: ")
}

func transientText(msg string) bool {
	for _, s := range []string{"connection refused", "i/o timeout", "no such host", "connection reset", "TLS handshake timeout", "503 Service Unavailable", "429 Too Many Requests"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
