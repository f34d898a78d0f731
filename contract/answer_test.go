package contract_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/contract"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// inspecting is a client-side proxy: it passes every request on and
// inspects every answer, as bkjob-mock proxy does.
type inspecting struct {
	in   *contract.Inspector
	next http.RoundTripper

	mu      sync.Mutex
	answers int
	found   map[string][]string // check → messages
}

func (p *inspecting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	fs := p.in.Inspect(contract.Answer{
		System: strings.Contains(r.URL.Path, "/system/"), RawQuery: r.URL.RawQuery, Header: r.Header,
		Status: resp.StatusCode, RespHeader: resp.Header, Body: body,
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers++
	for _, f := range fs {
		p.found[f.Check] = append(p.found[f.Check], f.Message)
	}
	return resp, nil
}

func (p *inspecting) checks() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.found))
	for k := range p.found {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// inspectRun runs the suite against h with every answer inspected, and
// returns what the inspector found and the suite's result.
func inspectRun(t *testing.T, h http.Handler, cfg func(string) contract.Config, ownClock bool) (*inspecting, *contract.Result) {
	t.Helper()
	in, err := contract.NewInspector()
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := &inspecting{in: in, next: http.DefaultTransport, found: map[string][]string{}}
	c := cfg(srv.URL)
	c.HTTPClient = &http.Client{Transport: p}
	if ownClock {
		c.From, c.To = time.Time{}, time.Time{}
	}
	res := runSuite(t, c)
	require.NotZero(t, p.answers)
	return p, res
}

// The inspector finds nothing in the suite's whole traffic against correct
// servers, and exactly the three known deviations of --quirks.
func TestInspectorHonest(t *testing.T) {
	t.Parallel()
	for name, h := range map[string]http.Handler{
		"mock": newMock(t, mock.Config{}),
		"fake": newFake(time.Now(), 300),
	} {
		cfg := fakeConfig
		if name == "mock" {
			cfg = mockConfig(t)
		}
		t.Run(name, func(t *testing.T) {
			p, _ := inspectRun(t, h, cfg, false)
			assert.Empty(t, p.found)
		})
	}
	t.Run("quirks", func(t *testing.T) {
		p, _ := inspectRun(t, newMock(t, mock.Config{Quirks: true}), mockConfig(t), false)
		assert.Equal(t, []string{"rules/invalid/launch_mode", "rules/invalid/status", "rules/invalid/type"}, p.checks())
		assert.Contains(t, p.found["rules/invalid/status"][0], "500 INTERNAL")
	})
}

// inspectorOnly are findings the inspector rightly makes where the suite
// names another check: a 200 for a request without create_time_start is
// wrong whatever its scope, but only the suite knows the scope does not
// exist (it fails permissions/missing_before_validation).
var inspectorOnly = map[string]string{
	"unknown scope is an empty list": "rules/missing/create_time_start",
}

// In front of the broken servers of the mutation table, whatever the
// inspector finds is a check the suite fails too, and every check the
// inspector applies catches at least one broken server.
func TestInspectorMutations(t *testing.T) {
	t.Parallel()
	caught := map[string]bool{}
	for _, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			p, res := inspectRun(t, m.wrap(newFake(time.Now(), 300)), fakeConfig, m.ownClock)
			failed := map[string]bool{}
			for _, c := range res.Checks {
				if c.Status == contract.Fail {
					failed[c.Name] = true
				}
			}
			for _, c := range p.checks() {
				caught[c] = true
				// The suite's checks probe a rule with one value: rules/type/length_exponent is rules/type/length.
				same := failed[c] || inspectorOnly[m.name] == c
				for f := range failed {
					same = same || strings.HasPrefix(f, c+"_")
				}
				assert.True(t, same, "the inspector finds %s (%s), the suite does not", c, p.found[c][0])
			}
			t.Logf("inspector: %v", p.checks())
		})
	}
	for _, c := range contract.AnswerChecks() {
		assert.True(t, caught[c.Name], "no broken server makes the inspector find %s", c.Name)
	}
}
