package gitremote_test

import (
	"context"
	"fmt"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/gitremote"
)

// A remote that cannot be reached: the error names the operation and the
// redacted URL, hides the token however the transport quotes it, says
// what to check, and is transient (exit 4 at the CLI).
func ExampleRemote_Clone() {
	r := gitremote.Remote{URL: "http://ghp_TOKEN@127.0.0.1:1/acme/gitops.git", Auth: &githttp.BasicAuth{Username: "x-access-token", Password: "PASSWORD"}}
	_, _, err := r.Clone(context.Background(), "main")
	fmt.Println(err)
	fmt.Println(gitremote.ClassOf(err), failure.KindOf(err))
	// Output:
	// cloning http://***@127.0.0.1:1/acme/gitops.git: Get "http://***@127.0.0.1:1/acme/gitops.git/info/refs?service=git-upload-pack": dial tcp 127.0.0.1:1: connect: connection refused: check that the repository is reachable, then run again
	// transient transient
}
