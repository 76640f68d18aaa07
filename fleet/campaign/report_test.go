package campaign

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/deploy"
)

// reportCampaign is a campaign halted in its second wave: the canary
// passed on its CI result and deployed, svc-b waits for its CI, svc-c
// failed at the gate, svc-d's change is open, svc-e is in a wave not
// started.
func reportCampaign() (*Campaign, *deployRecords) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	merged := func(name string, wave int, v *Verdict) Service {
		return Service{Name: name, Wave: wave, Status: Merged, MergedAt: &at, Health: v,
			Change: &fleet.Change{ID: "1", URL: "https://gitea.example/acme/" + name + "/pulls/1", State: fleet.ChangeMerged, MergeCommit: strings.Repeat("a", 40)}}
	}
	c := &Campaign{ID: "paved-v0.3.0", Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, State: Halted, Wave: 1,
		Reason: "health gate of wave wave-2: 1 of 2 services failed", Health: Health{Ratio: 0.95},
		Waves: []Wave{{Name: "canary", StartedAt: &at, PassedAt: &at}, {Name: "wave-2", StartedAt: &at}, {Name: "100%"}},
		Services: []Service{
			merged("svc-a", 0, &Verdict{Status: HealthOK, Evidence: EvidenceCheck, Step: "paved (push)", URL: "https://ci.example/svc-a/1"}),
			merged("svc-b", 1, &Verdict{Status: HealthMissing, Message: `no "paved (push)" result on the forge yet`}),
			merged("svc-c", 1, &Verdict{Status: HealthFailed, Evidence: EvidenceCheck, Step: "paved (push)", URL: "https://ci.example/svc-c/1", Message: "failed at step gate"}),
			{Name: "svc-d", Wave: 1, Status: Opened, Change: &fleet.Change{ID: "2", URL: "https://gitea.example/acme/svc-d/pulls/2", State: fleet.ChangeOpen}},
			{Name: "svc-e", Wave: 2, Status: Pending},
		}}
	d := &deployRecords{commit: strings.Repeat("c", 40), versions: &deploy.Versions{Services: map[string]map[string]*deploy.Record{
		"svc-a": {
			"dev":     {PavedVersion: "v0.3.0", SourceRevision: strings.Repeat("a", 40), DeployedAt: "2026-12-01T10:05:00Z"},
			"staging": {PavedVersion: "v0.2.0", SourceRevision: strings.Repeat("b", 40), DeployedAt: "2026-11-20T10:00:00Z"},
		},
	}}}
	return c, d
}

func TestReportText(t *testing.T) {
	c, d := reportCampaign()
	var b bytes.Buffer
	require.NoError(t, NewReport(c, d).WriteText(&b))
	out := b.String()
	for _, want := range []string{
		"campaign paved-v0.3.0: halted, paved → v0.3.0, wave 2/3 wave-2\n",
		"reason: health gate of wave wave-2: 1 of 2 services failed\n",
		"wave 1/3 canary: passed, 1 services\n",
		"wave 2/3 wave-2: halted, 3 services\n",
		"wave 3/3 100%: pending, 1 services\n",
		"the campaign halted on:\n",
		"  svc-b: no \"paved (push)\" result on the forge yet\n",
		"  svc-c: failed at step paved (push): failed at step gate\n",
		"  svc-d: the change is not merged yet (merge it on the forge, or let advance merge it with auto-merge once its CI passed)\n",
	} {
		require.Contains(t, out, want)
	}
	require.Regexp(t, `svc-a +canary +merged +ok at paved \(push\) +ci https://ci.example/svc-a/1 +#1 https://gitea.example/acme/svc-a/pulls/1 +dev: paved v0.3.0 from aaaaaaaaaaaa at 2026-12-01T10:05:00Z\n`, out,
		"the change, the CI result with its link, the latest deploy")
	require.Regexp(t, `svc-e +100% +pending +- +- +- +-\n`, out)
	require.NotContains(t, out, "svc-a:", "a healthy service has no reason line")
	require.NotContains(t, out, "svc-e:", "a service of a wave not started has no reason line")
}

func TestReportHTML(t *testing.T) {
	c, d := reportCampaign()
	var b bytes.Buffer
	require.NoError(t, NewReport(c, d).WriteHTML(&b))
	doc, err := html.Parse(&b)
	require.NoError(t, err)
	rows := map[string][]string{} // service → cell texts
	links := map[string][]string{}
	var walk func(n *html.Node, row string)
	walk = func(n *html.Node, row string) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch {
				case a.Key == "id" && strings.HasPrefix(a.Val, "service-"):
					row = strings.TrimPrefix(a.Val, "service-")
				case a.Key == "href" && row != "":
					links[row] = append(links[row], a.Val)
				case a.Key == "src":
					t.Errorf("the page loads %s: it must be self-contained", a.Val)
				}
			}
			if n.Data == "script" {
				t.Error("the page has a script")
			}
			if n.Data == "td" && row != "" {
				rows[row] = append(rows[row], strings.TrimSpace(text(n)))
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch, row)
		}
	}
	walk(doc, "")
	require.Equal(t, []string{"svc-a", "merged", "#1", "ok at paved (push) log", "dev: paved v0.3.0 from aaaaaaaaaaaa at 2026-12-01T10:05:00Z", ""}, rows["svc-a"])
	require.Equal(t, []string{"https://gitea.example/acme/svc-a/pulls/1", "https://ci.example/svc-a/1"}, links["svc-a"])
	require.Equal(t, "failed at step paved (push): failed at step gate", rows["svc-c"][5])
	require.Equal(t, "the change is not merged yet (merge it on the forge, or let advance merge it with auto-merge once its CI passed)", rows["svc-d"][5])
	require.Equal(t, []string{"svc-e", "pending", "-", "-", "-", ""}, rows["svc-e"])
}

func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		b.WriteString(text(ch))
	}
	return b.String()
}
