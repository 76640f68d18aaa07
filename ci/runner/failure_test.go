package runner

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFailure(t *testing.T) {
	for _, tc := range []struct {
		name, output string
		code         int
		message      string
	}{
		{name: "act, paved's flag error",
			output: "[paved/paved build-scan-deploy/build-scan-deploy]   | paved: unknown flag: --env\n" +
				"[paved/paved build-scan-deploy/build-scan-deploy]   ❌  Failure - Main paved run build-scan-deploy [1s]\n" +
				"[paved/paved build-scan-deploy/build-scan-deploy] exit status 2\n" +
				"[paved/paved build-scan-deploy/build-scan-deploy] exit status 2\nError: Job 'build-scan-deploy' failed\n",
			code: 2, message: "paved: unknown flag: --env"},
		{name: "gitlab-ci-local, the installer",
			output: "paved-build-scan-deploy > paved install: checksum mismatch for paved_1.2.3_linux_amd64.tar.gz: nothing was installed\n" +
				"paved-build-scan-deploy finished in 2 s  FAIL 3 \npipeline finished in 3 s\n",
			code: 3, message: "paved install: checksum mismatch for paved_1.2.3_linux_amd64.tar.gz: nothing was installed"},
		{name: "no error line", output: "something else broke\nexit status 1\n", code: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := (&Run{ExitCode: 1, Output: tc.output}).Failure()
			require.Equal(t, tc.code, code)
			require.Equal(t, tc.message, msg)
		})
	}
}
