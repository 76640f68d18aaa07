package redact_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/redact"
)

// canary is the secret every case hides; no output may contain it.
const canary = "CANARY5ecret"

// TestURL is the one table over every credential form paved meets: each
// case is redacted alone (URL) and inside an error's text (Text), its
// secrets found by URLSecrets are hidden by Secrets wherever they appear,
// and no output holds the canary.
func TestURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"user and password", "https://alice:" + canary + "@git.example.com/o/r.git", "https://***@git.example.com/o/r.git"},
		{"token as user", "https://ghp_" + canary + "@github.com/o/r.git", "https://***@github.com/o/r.git"},
		{"token as user, upper-case scheme", "HTTPS://ghp_" + canary + "@github.com/o/r.git", "https://***@github.com/o/r.git"},
		{"x-access-token", "https://x-access-token:ghs_" + canary + "@github.com/o/r.git", "https://***@github.com/o/r.git"},
		{"oauth2 user", "https://oauth2:glpat-" + canary + "@gitlab.example.com/g/r.git", "https://***@gitlab.example.com/g/r.git"},
		{"token as user, x-oauth-basic password", "https://" + canary + ":x-oauth-basic@github.com/o/r", "https://***@github.com/o/r"},
		{"policy URL with password", "http://u:" + canary + "@127.0.0.1:8080/p.yaml", "http://***@127.0.0.1:8080/p.yaml"},
		{"query token", "https://host/p.yaml?token=" + canary, "https://host/p.yaml?token=***"},
		{"query access_token among others", "https://host/p.yaml?ref=main&access_token=" + canary + "&x=1", "https://host/p.yaml?ref=main&access_token=***&x=1"},
		{"gitlab private_token", "https://gitlab.example.com/api/v4/projects?private_token=" + canary, "https://gitlab.example.com/api/v4/projects?private_token=***"},
		{"presigned S3", "https://b.s3.amazonaws.com/p.yaml?X-Amz-Credential=AKIA" + canary + "&X-Amz-Signature=" + canary, "https://b.s3.amazonaws.com/p.yaml?X-Amz-Credential=***&X-Amz-Signature=***"},
		{"azure sas sig", "https://a.blob.core.windows.net/c/p.yaml?sv=2024&sig=" + canary, "https://a.blob.core.windows.net/c/p.yaml?sv=2024&sig=***"},
		{"user and query", "https://u:" + canary + "@host/p?api_key=" + canary, "https://***@host/p?api_key=***"},
		{"password with a character URLs refuse", "https://u:" + canary + "%zz@host/r.git", "https://***@host/r.git"},
		{"ssh user stays", "ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"},
		{"ssh password", "ssh://git:" + canary + "@github.com/o/r.git", "ssh://***@github.com/o/r.git"},
		{"scp-like stays", "git@github.com:o/r.git", "git@github.com:o/r.git"},
		{"no credentials", "https://github.com/o/r.git?ref=main", "https://github.com/o/r.git?ref=main"},
		{"a path", "/srv/gitops.git", "/srv/gitops.git"},
		{"empty", "", ""},
		{"URLs in an error", `fetching policy "http://u:` + canary + `@127.0.0.1:1/p.yaml": Get "http://u:***@127.0.0.1:1/p.yaml": dial tcp: connection refused; ` +
			`cloning https://ghp_` + canary + `@github.com/o/r.git: authentication required`,
			`fetching policy "http://***@127.0.0.1:1/p.yaml": Get "http://***@127.0.0.1:1/p.yaml": dial tcp: connection refused; ` +
				`cloning https://***@github.com/o/r.git: authentication required`},
		{"a URL quoted by Go's HTTP client", `Get "https://ghp_` + canary + `@github.com/o/r.git/info/refs?service=git-upload-pack": EOF`,
			`Get "https://***@github.com/o/r.git/info/refs?service=git-upload-pack": EOF`},
		{"no URL in an error", "no URL here", "no URL here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := redact.Text(tc.in)
			require.Equal(t, tc.want, got)
			require.NotContains(t, got, canary)
			if !strings.Contains(tc.in, " ") {
				require.Equal(t, tc.want, redact.URL(tc.in))
				require.Equal(t, tc.in != tc.want, redact.HasCredentials(tc.in))
				require.NotContains(t, redact.Strip(tc.in), canary)
				// Every secret is found, so Secrets hides it wherever a
				// transport quotes it, on its own or in a URL spelt anew.
				secrets := redact.URLSecrets(tc.in)
				if _, err := url.Parse(tc.in); err == nil && strings.Contains(tc.in, canary) {
					require.Contains(t, strings.Join(secrets, " "), canary)
				}
				require.NotContains(t, redact.Secrets("refused "+strings.Join(secrets, " and "), secrets...), canary)
			}
			require.NotContains(t, redact.Text("fetching "+tc.in+": refused"), canary)
		})
	}
}

func TestStrip(t *testing.T) {
	require.Equal(t, "https://github.com/o/r.git", redact.Strip("https://x-access-token:"+canary+"@github.com/o/r.git"))
	require.Equal(t, "ssh://github.com/o/r.git", redact.Strip("ssh://git@github.com/o/r.git"))
	require.Equal(t, "git@github.com:o/r.git", redact.Strip("git@github.com:o/r.git"))
}

func ExampleURL() {
	fmt.Println(redact.URL("https://ghp_TOKEN@github.com/o/r.git"))
	fmt.Println(redact.URL("https://host/policy.yaml?token=TOKEN"))
	// Output:
	// https://***@github.com/o/r.git
	// https://host/policy.yaml?token=***
}

func FuzzURL(f *testing.F) {
	f.Add("https://u:" + canary + "@host/p?token=" + canary)
	f.Fuzz(func(t *testing.T, s string) {
		_ = redact.Text(s)
		_ = redact.Strip(s)
	})
}
