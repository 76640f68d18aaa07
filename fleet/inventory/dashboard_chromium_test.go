//go:build chromium

package inventory

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// chromiumTimeout bounds one headless Chromium run; a cold start on a busy
// 2-core machine takes a few seconds.
const chromiumTimeout = 90 * time.Second

// TestDashboardInChromium renders the HTML dashboard of a generated fleet,
// loads it in headless Chromium (Debian's chromium package) and checks the
// rows of the DOM Chromium built: which service is on which paved version,
// outdated or blocked, and on which base each environment's deployment is
// built. Run it with hack/chromium/test.sh (make chromium-test).
func TestDashboardInChromium(t *testing.T) {
	bin := chromium(t)
	tf := newTestFleet(t, 8, true)
	inv, err := Run(context.Background(), tf.fleet, WithClock(clock))
	require.NoError(t, err)
	inv.UsesBase("python-base:1.0")
	var page bytes.Buffer
	require.NoError(t, inv.WriteHTML(&page))
	file := filepath.Join(t.TempDir(), "dashboard.html")
	require.NoError(t, os.WriteFile(file, page.Bytes(), 0o644))

	doc := dumpDOM(t, bin, file)

	services := table(t, doc, "services")
	require.Equal(t, []string{"Service", "Team", "Tier", "paved", "Status", "Bases (source)", "dev", "prod", "Blocked"}, services[0].cells)
	rows := map[string]row{}
	for _, r := range services[1:] {
		rows[r.attr["data-service"]] = r
	}
	require.Len(t, rows, len(inv.Services), "one row per service")
	const py10, py11 = "registry.example.com/platform/python-base:1.0", "registry.example.com/platform/python-base:1.1"
	tests := []struct {
		service, paved, status string
		dev, prod              string // "on <base>" of the deployment, "" for none
		blocked                string
	}{
		{service: "svc-00", paved: "v0.1.0", status: StatusOutdated, dev: py10, prod: py10, blocked: "prod is locked after a rollback: rolled back: crash loop"},
		{service: "svc-01", paved: "v0.2.0", status: StatusCurrent, dev: py11},
		{service: "svc-02", paved: "v0.2.0", status: StatusCurrent, dev: py10},
		{service: "svc-04", paved: "v0.1.0", status: StatusOutdated},
		{service: "svc-05", status: StatusUnpinned, blocked: "no paved version pinned"},
		{service: "svc-06", status: StatusNotSemver, blocked: `pins paved at "main"`},
		{service: "svc-07", status: StatusUnreachable, blocked: "repository not found"},
	}
	for _, tc := range tests {
		t.Run(tc.service, func(t *testing.T) {
			r, ok := rows[tc.service]
			require.True(t, ok, "row for %s in %v", tc.service, rows)
			require.Equal(t, tc.status, r.attr["data-status"])
			require.True(t, strings.HasPrefix(r.cells[0], tc.service), r.cells[0])
			require.Equal(t, tc.paved, r.cells[3])
			require.Equal(t, tc.status, r.cells[4])
			for i, want := range []string{tc.dev, tc.prod} {
				if want == "" {
					require.NotContains(t, r.cells[6+i], " on ")
					continue
				}
				require.Contains(t, r.cells[6+i], "1.0.0 sha256:")
				require.Contains(t, r.cells[6+i], " on "+want)
			}
			if tc.blocked == "" {
				require.Empty(t, r.cells[8])
			} else {
				require.Contains(t, r.cells[8], tc.blocked)
			}
		})
	}

	var sources, deployed []string
	for _, r := range table(t, doc, "query-sources")[1:] {
		sources = append(sources, r.attr["data-service"])
	}
	for _, r := range table(t, doc, "query-deployed")[1:] {
		deployed = append(deployed, r.attr["data-service"]+"/"+r.cells[1]+" on "+r.cells[3])
	}
	require.Equal(t, []string{"svc-00", "svc-04", "svc-05"}, sources, "services on python-base:1.0 in their sources")
	require.Equal(t, []string{"svc-00/dev on " + py10, "svc-00/prod on " + py10, "svc-02/dev on " + py10}, deployed, "deployments built on it")
}

// chromium finds the chromium binary or skips the test.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed: run hack/chromium/install.sh (Debian's chromium package) or make chromium-test")
	return ""
}

// dumpDOM loads file in headless Chromium and parses the DOM it serialises
// after loading (and after any script ran). Chromium gets a throwaway HOME
// and profile, and no network beyond the file.
func dumpDOM(t *testing.T, bin, file string) *html.Node {
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-dev-shm-usage", "--no-first-run", "--user-data-dir="+filepath.Join(tmp, "profile"), "--dump-dom", "file://"+file)
	cmd.Env = append(os.Environ(), "HOME="+filepath.Join(tmp, "home"), "XDG_CONFIG_HOME="+filepath.Join(tmp, "home", ".config"), "XDG_CACHE_HOME="+filepath.Join(tmp, "home", ".cache"))
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium did not finish within %s; stderr:\n%s", chromiumTimeout, stderr.String())
	}
	require.NoError(t, err, "chromium --dump-dom; stderr:\n%s", stderr.String())
	t.Logf("chromium --dump-dom took %s", time.Since(start).Round(time.Millisecond))
	require.Contains(t, stdout.String(), "<table", "chromium printed no DOM; stderr:\n%s", stderr.String())
	doc, err := html.Parse(&stdout)
	require.NoError(t, err)
	return doc
}

// row is a table row: its attributes and the text of its cells.
type row struct {
	attr  map[string]string
	cells []string
}

// table returns the rows of the table with id, header first.
func table(t *testing.T, doc *html.Node, id string) []row {
	t.Helper()
	tbl := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Table && attr(n, "id") == id })
	require.NotNil(t, tbl, "table #%s in the DOM", id)
	var rows []row
	walkNodes(tbl, func(n *html.Node) {
		if n.DataAtom != atom.Tr {
			return
		}
		r := row{attr: map[string]string{}}
		for _, a := range n.Attr {
			r.attr[a.Key] = a.Val
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.DataAtom == atom.Td || c.DataAtom == atom.Th {
				r.cells = append(r.cells, text(c))
			}
		}
		rows = append(rows, r)
	})
	require.NotEmpty(t, rows, "rows of table #%s", id)
	return rows
}

func find(n *html.Node, ok func(*html.Node) bool) *html.Node {
	if ok(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, ok); f != nil {
			return f
		}
	}
	return nil
}

func walkNodes(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkNodes(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is the node's text with runs of white space (and <br>) as one space.
func text(n *html.Node) string {
	var b strings.Builder
	walkNodes(n, func(c *html.Node) {
		switch {
		case c.Type == html.TextNode:
			b.WriteString(c.Data)
		case c.DataAtom == atom.Br:
			b.WriteString(" ")
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}
