package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/contract"
)

// proxyRun is "bkjob-mock proxy" running in the test.
type proxyRun struct {
	t      *testing.T
	base   string // where it listens
	cancel context.CancelFunc
	done   chan int
	stdout *syncBuffer
	stderr *syncBuffer
	dir    string // its reports: proxy.json, proxy.xml
}

// startProxy runs "bkjob-mock proxy --upstream upstream" with its reports in
// a temporary directory and args, and waits until it listens.
func startProxy(t *testing.T, upstream string, args ...string) *proxyRun {
	t.Helper()
	p := &proxyRun{t: t, done: make(chan int, 1), stdout: &syncBuffer{}, stderr: &syncBuffer{}, dir: t.TempDir()}
	var ctx context.Context
	ctx, p.cancel = context.WithCancel(context.Background())
	t.Cleanup(p.cancel)
	args = append([]string{"proxy", "--upstream", upstream, "--addr", "127.0.0.1:0", "--log-level", "off",
		"--json", filepath.Join(p.dir, "proxy.json"), "--junit", filepath.Join(p.dir, "proxy.xml")}, args...)
	go func() { p.done <- run(ctx, args, func(string) string { return "" }, p.stdout, p.stderr) }()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(p.stdout.String())
		if m != nil {
			p.base = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "stderr: %s", p.stderr.String())
	return p
}

// get sends GET path?query through the proxy as zhangsan.
func (p *proxyRun) get(path, query string) (int, []byte) {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.base+path+"?"+query, nil)
	require.NoError(p.t, err)
	req.Header.Set("X-Bkapi-Authorization", secretAuth)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	return resp.StatusCode, body
}

// stop cancels the proxy's context (what SIGINT and SIGTERM do) and returns
// its exit code.
func (p *proxyRun) stop() int {
	p.t.Helper()
	p.cancel()
	select {
	case code := <-p.done:
		return code
	case <-time.After(20 * time.Second):
		p.t.Fatal("proxy did not stop")
		return -1
	}
}

// report reads the JSON report.
func (p *proxyRun) report() proxyReport {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, "proxy.json"))
	require.NoError(p.t, err)
	var r proxyReport
	require.NoError(p.t, json.Unmarshal(b, &r), "%s", b)
	return r
}

type proxyReport struct {
	BaseURL string   `json:"base_url"`
	Notes   []string `json:"notes"`
	Summary struct {
		Passed    int            `json:"passed"`
		Failed    int            `json:"failed"`
		Skipped   int            `json:"skipped"`
		SkippedBy map[string]int `json:"skipped_by_class"`
		Verdict   string         `json:"verdict"`
	} `json:"summary"`
	Checks []struct {
		Name      string `json:"name"`
		Status    string `json:"status"`
		SkipClass string `json:"skip_class"`
		Reason    string `json:"reason"`
		Curl      string `json:"curl"`
	} `json:"checks"`
}

func (r proxyReport) failed() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Status == "fail" {
			out = append(out, c.Name)
		}
	}
	return out
}

// window is a query of biz:2 over the day before mockNow, plus extra.
func window(extra string) string {
	q := "bk_scope_type=biz&bk_scope_id=2&create_time_start=" + strconv.FormatInt(mockNow.Add(-24*time.Hour).UnixMilli(), 10) +
		"&create_time_end=" + strconv.FormatInt(mockNow.UnixMilli(), 10)
	if extra != "" {
		q += "&" + extra
	}
	return q
}

// The proxy end to end, as the CLI runs it: traffic through it to the mock
// and to the mock with --quirks, then a cancelled context (SIGINT), the exit
// code, the summary line and the reports in contract's shapes.
func TestProxyCommand(t *testing.T) {
	t.Parallel()
	// Requests of the kinds the quirks concern, and ordinary ones.
	traffic := []string{"", "length=50", "status=3", "type=0&launch_mode=3", "operator=admin", "name=%E5%B7%A1", "status=12", "launch_mode=4", "type=3"}
	for _, tt := range []struct {
		name     string
		quirks   bool
		traffic  []string
		code     int
		verdict  string
		failed   []string
		inSumary string
	}{
		{"mock", false, traffic, 0, "pass", nil, "; pass"},
		{"quirks", true, traffic, 1, "fail", []string{"rules/invalid/status", "rules/invalid/launch_mode", "rules/invalid/type"},
			"; fail: rules/invalid/status, rules/invalid/launch_mode, rules/invalid/type"},
		{"quirks without those requests", true, traffic[:6], 0, "pass", nil, "; pass"},
		{"no traffic", false, nil, 3, "inconclusive", nil, "0 answers checked, 0 not; 0 passed, 0 failed, 46 skipped: 46 traffic; inconclusive: no answer of the API was checked"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startProxy(t, newMockServer(t, tt.quirks))
			for _, q := range tt.traffic {
				status, body := p.get(bkjob.UserAPIPath, window(q))
				if !strings.Contains(q, "=12") && !strings.Contains(q, "=4") && !strings.Contains(q, "=3") || !tt.quirks {
					assert.Contains(t, []int{200, 400}, status, "%s: %s", q, body)
				}
			}
			// The journal and the admin page are served as by serve.
			status, _ := p.get("/__mock/health", "")
			assert.Equal(t, 200, status)
			status, body := p.get("/__mock/requests", "findings=1")
			require.Equal(t, 200, status)
			var journal struct {
				Entries []struct {
					Contract struct {
						Findings []struct {
							Check string `json:"check"`
						} `json:"findings"`
					} `json:"contract"`
				} `json:"entries"`
			}
			require.NoError(t, json.Unmarshal(body, &journal))
			var journaled []string
			for _, e := range journal.Entries {
				for _, f := range e.Contract.Findings {
					journaled = append(journaled, f.Check)
				}
			}
			assert.ElementsMatch(t, tt.failed, journaled, "the journal's findings are the report's")

			assert.Equal(t, tt.code, p.stop(), "stderr: %s", p.stderr.String())
			assert.Contains(t, p.stdout.String(), "bkjob-mock stopped")
			assert.Contains(t, p.stderr.String(), tt.inSumary)
			assert.Equal(t, 1, strings.Count(p.stderr.String(), "\n"), "one line: %s", p.stderr.String())

			r := p.report()
			assert.Equal(t, tt.verdict, r.Summary.Verdict)
			assert.Equal(t, tt.failed, r.failed())
			assert.Len(t, r.Checks, len(contract.AnswerChecks()), "one case per rule")
			assert.Equal(t, len(r.Checks), r.Summary.Passed+r.Summary.Failed+r.Summary.Skipped)
			assert.Equal(t, r.Summary.Skipped, r.Summary.SkippedBy["traffic"])
			for _, c := range r.Checks {
				if c.Status == "fail" {
					assert.Contains(t, c.Curl, `"bk_app_secret":"***"`, c.Name)
				}
				if c.Status == "skip" {
					assert.NotEmpty(t, c.Reason)
				}
			}
			if len(tt.traffic) > 0 {
				assert.Greater(t, r.Summary.Passed, 15, "the traffic exercises many rules")
			}
			b, err := os.ReadFile(filepath.Join(p.dir, "proxy.json"))
			require.NoError(t, err)
			assert.NotContains(t, string(b), "t0p-s3cret")

			x, err := os.ReadFile(filepath.Join(p.dir, "proxy.xml"))
			require.NoError(t, err)
			assert.NotContains(t, string(x), "t0p-s3cret")
			var suites struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
				Skipped  int `xml:"skipped,attr"`
			}
			require.NoError(t, xml.Unmarshal(x, &suites))
			assert.Equal(t, []int{len(contract.AnswerChecks()), len(tt.failed), r.Summary.Skipped}, []int{suites.Tests, suites.Failures, suites.Skipped})
		})
	}
}

// An upstream that does not answer: the client gets the gateway's 502, the
// run checked nothing (exit 3), and the report says why.
func TestProxyCommandUpstreamDown(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	p := startProxy(t, url)
	status, body := p.get(bkjob.UserAPIPath, window(""))
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Contains(t, string(body), `"code_name":"BAD_GATEWAY"`)
	assert.Equal(t, exitInconclusive, p.stop())
	r := p.report()
	assert.Equal(t, "inconclusive", r.Summary.Verdict)
	assert.Contains(t, r.Notes, "not examined: 1 answer(s): the upstream gave no answer (502)")
	assert.Contains(t, p.stderr.String(), "0 answers checked, 1 not")
}

func TestProxyBadUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no upstream", nil, nil, "--upstream is required"},
		{"bad upstream", nil, []string{"--upstream", "ftp://x"}, "want http(s)://host"},
		{"upstream with a query", nil, []string{"--upstream", "http://x/?a=1"}, "no query"},
		{"timeout too long", nil, []string{"--upstream", "http://x", "--upstream-timeout", "1h"}, "--upstream-timeout"},
		{"inspect budget too small", nil, []string{"--upstream", "http://x", "--inspect-bytes", "1KiB"}, "--inspect-bytes"},
		{"bad journal size", nil, []string{"--upstream", "http://x", "--journal-size", "-1"}, "--journal-size"},
		{"bad env", map[string]string{"BKJOB_MOCK_UPSTREAM_TIMEOUT": "soon"}, []string{"--upstream", "http://x"}, "BKJOB_MOCK_UPSTREAM_TIMEOUT"},
		{"env upstream checked", map[string]string{"BKJOB_MOCK_UPSTREAM": "x"}, nil, `--upstream "x"`},
		{"report in a missing directory", nil, []string{"--upstream", "http://x", "--json", "/nonexistent/dir/r.json"}, "nonexistent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rejected(t, tc.env, append([]string{"proxy"}, tc.args...)...)
			assert.Equal(t, exitUsage, r.code)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
	r := runCLI(t, nil, "proxy", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "Usage: bkjob-mock proxy --upstream URL")
}

// BKJOB_MOCK_<FLAG> sets the proxy's flags as it sets serve's; a flag wins.
func TestProxyEnv(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	env := map[string]string{"BKJOB_MOCK_UPSTREAM": newMockServer(t, false), "BKJOB_MOCK_ADDR": "127.0.0.1:0",
		"BKJOB_MOCK_JSON": filepath.Join(dir, "env.json"), "BKJOB_MOCK_LOG_LEVEL": "off", "BKJOB_MOCK_UPSTREAM_TIMEOUT": "5s"}
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"proxy", "--upstream-timeout", "7s"}, func(k string) string { return env[k] }, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "upstream timeout 7s") }, 10*time.Second, 10*time.Millisecond, stderr.String())
	assert.Contains(t, stdout.String(), "proxy to "+env["BKJOB_MOCK_UPSTREAM"])
	cancel()
	assert.Equal(t, exitInconclusive, <-done)
	_, err := os.Stat(filepath.Join(dir, "env.json"))
	assert.NoError(t, err)
}
