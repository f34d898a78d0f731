package contract_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/contract"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// proxied is a run of the suite through the mock's proxy (what bkjob-mock
// proxy serves) in front of an upstream: the suite's result, the proxy's
// tally and the checks its journal names.
type proxied struct {
	suite, tally *contract.Result
	journaled    []string // checks of the journal's findings, sorted, once each
}

// runThroughProxy runs the suite against a proxy in front of upstream, the
// Inspector wired to it as bkjob-mock proxy wires it.
func runThroughProxy(t *testing.T, upstream http.Handler, cfg func(string) contract.Config, ownClock bool) proxied {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	u, err := url.Parse(up.URL)
	require.NoError(t, err)
	in, err := contract.NewInspector()
	require.NoError(t, err)
	tally := contract.NewTally()
	h, err := mock.New(mock.Config{JournalSize: 1000, Proxy: &mock.ProxyConfig{
		Upstream: u,
		Inspect: func(a mock.ProxiedAnswer) []mock.Finding {
			ins := in.Examine(contract.Answer(a))
			tally.Add(contract.Answer(a), ins)
			out := make([]mock.Finding, len(ins.Findings))
			for i, f := range ins.Findings {
				out[i] = mock.Finding(f)
			}
			return out
		},
		NotInspected: tally.NotExamined,
	}})
	require.NoError(t, err)
	proxy := httptest.NewServer(h)
	t.Cleanup(proxy.Close)

	c := cfg(proxy.URL)
	if ownClock {
		c.From, c.To = time.Time{}, time.Time{}
	}
	out := proxied{suite: runSuite(t, c), tally: tally.Result(up.URL)}
	examined, not := tally.Answers()
	require.NotZero(t, examined)
	assert.Zero(t, not)

	resp, err := http.Get(proxy.URL + "/__mock/requests?findings=1&limit=1000")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var journal struct {
		Entries []struct {
			Contract struct {
				Findings []mock.Finding `json:"findings"`
			} `json:"contract"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(body, &journal), "%s", body)
	seen := map[string]bool{}
	for _, e := range journal.Entries {
		for _, f := range e.Contract.Findings {
			seen[f.Check] = true
		}
	}
	for c := range seen {
		out.journaled = append(out.journaled, c)
	}
	sort.Strings(out.journaled)
	return out
}

func failedChecks(res *contract.Result) []string {
	var out []string
	for _, c := range res.Checks {
		if c.Status == contract.Fail {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

// The proxy in front of the mock finds nothing, in front of --quirks
// exactly its three deviations, and in front of broken servers of the
// mutation table the checks of the rules they break that one answer shows,
// and nothing the suite does not find: in the journal and the report alike.
func TestProxyInFrontOf(t *testing.T) {
	t.Parallel()
	byName := map[string]mutation{}
	for _, m := range mutations() {
		byName[m.name] = m
	}
	for _, tt := range []proxyCase{
		{"mock", func(t *testing.T) (http.Handler, func(string) contract.Config, bool) {
			return newMock(t, mock.Config{}), mockConfig(t), false
		}, nil, true},
		{"mock with quirks", func(t *testing.T) (http.Handler, func(string) contract.Config, bool) {
			return newMock(t, mock.Config{Quirks: true}), mockConfig(t), false
		}, []string{"rules/invalid/launch_mode", "rules/invalid/status", "rules/invalid/type"}, true},
		{"fake", func(t *testing.T) (http.Handler, func(string) contract.Config, bool) {
			return newFake(time.Now(), 300), fakeConfig, false
		}, nil, true},
		mutated(byName["reversed order"], []string{"semantics/order/create_time_desc"}),
		mutated(byName["renamed field job_instance_id→id"], []string{"conformance/schema"}),
		mutated(byName["status filter ignored"], []string{"semantics/filter/status"}),
		mutated(byName["one task more than length"], []string{"rules/repeated_param_first_wins", "semantics/length_honoured"}),
		mutated(byName["no job_request_id"], []string{"conformance/job_request_id", "conformance/schema"}),
		mutated(byName["null instead of an omitted end_time"], []string{"conformance/no_null_fields", "conformance/schema"}),
		mutated(byName["times in seconds"], []string{"semantics/times/plausible"}),
		mutated(byName["the real server's enum bugs"], []string{"rules/invalid/launch_mode", "rules/invalid/status", "rules/invalid/type"}),
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, cfg, ownClock := tt.upstream(t)
			p := runThroughProxy(t, h, cfg, ownClock)
			got := failedChecks(p.tally)
			for _, c := range tt.want {
				assert.Contains(t, got, c)
			}
			if tt.exact {
				assert.Equal(t, tt.want, got)
			}
			if tt.want == nil {
				assert.Empty(t, got)
				assert.Equal(t, contract.VerdictPass, p.tally.Verdict(), p.tally.Summary())
			} else {
				assert.Equal(t, contract.VerdictFail, p.tally.Verdict())
			}
			assert.Equal(t, got, p.journaled, "the journal names what the report fails")
			// What the proxy finds, the suite finds too (it probes a rule with one value:
			// rules/type/length_exponent is rules/type/length).
			suiteFailed := failedChecks(p.suite)
			for _, c := range got {
				same := false
				for _, f := range suiteFailed {
					same = same || f == c || len(f) > len(c) && f[:len(c)+1] == c+"_"
				}
				assert.True(t, same, "the proxy finds %s, the suite does not (%v)", c, suiteFailed)
			}
		})
	}
}

// proxyCase is an upstream for the proxy and the checks it must find.
type proxyCase struct {
	name     string
	upstream func(t *testing.T) (h http.Handler, cfg func(string) contract.Config, ownClock bool)
	want     []string // sorted: the checks the proxy must find
	exact    bool     // and no other
}

// mutated is the broken server m of the mutation table, on the fake.
func mutated(m mutation, want []string) proxyCase {
	return proxyCase{m.name, func(t *testing.T) (http.Handler, func(string) contract.Config, bool) {
		require.NotNil(t, m.wrap, "no mutation %q in the table", m.name)
		return m.wrap(newFake(time.Now(), 300)), fakeConfig, m.ownClock
	}, want, false}
}
