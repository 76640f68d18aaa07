package forge_test

import (
	"fmt"

	"github.com/paved-dev/paved/fleet/forge"
)

func ExampleRepoPath() {
	for _, u := range []string{
		"https://github.com/acme/api.git",
		"git@github.com:acme/api.git",
		"ssh://git@gitlab.example.com:2222/platform/services/api.git",
	} {
		host, path, err := forge.RepoPath(u)
		if err != nil {
			panic(err)
		}
		fmt.Println(host, path)
	}
	// Output:
	// github.com acme/api
	// github.com acme/api
	// gitlab.example.com platform/services/api
}
