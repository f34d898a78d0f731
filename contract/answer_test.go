package contract_test

import (
	"bytes"
	"fmt"
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
	in    *contract.Inspector
	next  http.RoundTripper
	tally *contract.Tally

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
	a := contract.Answer{
		System: strings.Contains(r.URL.Path, "/system/"), RawQuery: r.URL.RawQuery, Header: r.Header,
		Status: resp.StatusCode, RespHeader: resp.Header, Body: body, URL: r.URL.String(),
	}
	ins := p.in.Examine(a)
	p.tally.Add(a, ins)
	fs := ins.Findings
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
	p := &inspecting{in: in, next: http.DefaultTransport, found: map[string][]string{}, tally: contract.NewTally()}
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
			res := p.tally.Result("http://upstream")
			assert.Equal(t, contract.VerdictPass, res.Verdict(), res.Summary())
			passed, failed, _ := res.Counts()
			assert.Zero(t, failed)
			// The suite's traffic exercises nearly every rule one answer shows.
			assert.Greater(t, passed, len(contract.AnswerChecks())*3/4, res.Summary())
		})
	}
	t.Run("quirks", func(t *testing.T) {
		p, _ := inspectRun(t, newMock(t, mock.Config{Quirks: true}), mockConfig(t), false)
		assert.Equal(t, []string{"rules/invalid/launch_mode", "rules/invalid/status", "rules/invalid/type"}, p.checks())
		assert.Contains(t, p.found["rules/invalid/status"][0], "500 INTERNAL")
		res := p.tally.Result("http://upstream")
		assert.Equal(t, contract.VerdictFail, res.Verdict())
		var failed []string
		for _, c := range res.Checks {
			if c.Status == contract.Fail {
				failed = append(failed, c.Name)
				assert.Contains(t, c.Curl, "bk_app_secret\":\"***")
				assert.Contains(t, c.Reason, "of the")
			}
		}
		assert.Equal(t, []string{"rules/invalid/status", "rules/invalid/launch_mode", "rules/invalid/type"}, failed)
	})
}

// What one answer exercises: a rule it cannot show is not checked, so a
// tally of answers that never show it skips it rather than pass it.
func TestExamineChecked(t *testing.T) {
	t.Parallel()
	in, err := contract.NewInspector()
	require.NoError(t, err)
	auth := http.Header{"X-Bkapi-Authorization": {`{"bk_app_code":"demo","bk_app_secret":"s3cret","bk_username":"admin"}`}}
	json := http.Header{"Content-Type": {"application/json"}}
	window := "bk_scope_type=biz&bk_scope_id=2&create_time_start=1000&create_time_end=2000000000000"
	item := func(id, ct int64) string {
		return fmt.Sprintf(`{"bk_biz_id":2,"bk_scope_type":"biz","bk_scope_id":"2","job_instance_id":%d,"job_plan_id":-1,"job_template_id":-1,`+
			`"name":"n","operator":"admin","launch_mode":1,"status":1,"type":1,"create_time":%d}`, id, ct)
	}
	list := func(items ...string) []byte {
		return []byte(`{"data":{"job_instance_list":[` + strings.Join(items, ",") + `]},"job_request_id":"0123456789abcdef0123456789abcdef"}`)
	}
	for _, tt := range []struct {
		name     string
		query    string
		status   int
		body     []byte
		checked  []string // among those checked
		not      []string // not checked
		findings []string
	}{
		{"empty list", window, 200, list(), []string{"conformance/schema", "semantics/default_length"},
			[]string{"semantics/order/create_time_desc", "semantics/items/scope", "semantics/filter/status"}, nil},
		{"two tasks and a status filter", window + "&status=1&length=5", 200, list(item(20000000002, 1700000000000), item(20000000001, 1600000000000)),
			[]string{"semantics/order/create_time_desc", "semantics/items/scope", "semantics/filter/status", "semantics/length_honoured", "semantics/window/items_inside"},
			[]string{"semantics/order/ties_by_id_asc", "semantics/filter/type", "semantics/default_length", "semantics/job_instance_id/exact"}, nil},
		{"a filter broken", window + "&status=2", 200, list(item(20000000001, 1600000000000)),
			[]string{"semantics/filter/status"}, nil, []string{"semantics/filter/status"}},
		{"an invalid value answered 400", window + "&status=12", 400,
			[]byte(`{"error":{"code":"INVALID_ARGUMENT","message":"请求参数[status]不合法","details":[{"code":"1241005","message":"请求参数[status]不合法"}]},"job_request_id":"0123456789abcdef0123456789abcdef"}`),
			[]string{"rules/invalid/status", "conformance/job_request_id"}, []string{"semantics/default_length", "semantics/filter/status"}, nil},
		{"an invalid value hidden by a 403", window + "&status=12", 403,
			[]byte(`{"error":{"code":"NO_PERMISSION","message":"x"},"job_request_id":"0123456789abcdef0123456789abcdef"}`),
			[]string{"conformance/status_documented", "conformance/schema"}, []string{"rules/invalid/status"}, []string{"conformance/schema"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ins := in.Examine(contract.Answer{RawQuery: tt.query, Header: auth, Status: tt.status, RespHeader: json, Body: tt.body})
			var found []string
			for _, f := range ins.Findings {
				found = append(found, f.Check)
				assert.Contains(t, ins.Checked, f.Check, "a broken rule is an exercised one")
				assert.NotContains(t, f.Message, "s3cret")
			}
			assert.Equal(t, tt.findings, found)
			for _, c := range tt.checked {
				assert.Contains(t, ins.Checked, c)
			}
			for _, c := range tt.not {
				assert.NotContains(t, ins.Checked, c)
			}
		})
	}
}

// A tally of no answers is inconclusive, never a pass; one answer that
// passes what it exercises passes, and the rest skip for traffic.
func TestTallyVerdicts(t *testing.T) {
	t.Parallel()
	empty := contract.NewTally().Result("http://upstream")
	assert.Equal(t, contract.VerdictInconclusive, empty.Verdict())
	passed, failed, skipped := empty.Counts()
	assert.Equal(t, []int{0, 0, len(contract.AnswerChecks())}, []int{passed, failed, skipped})
	assert.Contains(t, empty.Checks[0].Reason, "no API traffic")

	tl := contract.NewTally()
	tl.Add(contract.Answer{}, contract.Inspection{Checked: []string{"conformance/schema"}})
	tl.NotExamined("body over the budget")
	res := tl.Result("http://upstream")
	assert.Equal(t, contract.VerdictPass, res.Verdict())
	passed, failed, skipped = res.Counts()
	assert.Equal(t, []int{1, 0, len(contract.AnswerChecks()) - 1}, []int{passed, failed, skipped})
	assert.Equal(t, len(contract.AnswerChecks())-1, res.SkipCounts()[contract.SkipTraffic])
	assert.Contains(t, strings.Join(res.Notes, "\n"), "1 answer(s): body over the budget")

	tl.Add(contract.Answer{URL: "http://upstream/api/v4/get_job_instance_list?bk_token=abc"},
		contract.Inspection{Checked: []string{"conformance/schema"}, Findings: []contract.Finding{{Check: "conformance/schema", Message: "bad"}}})
	res = tl.Result("http://upstream")
	assert.Equal(t, contract.VerdictFail, res.Verdict())
	for _, c := range res.Checks {
		if c.Name == "conformance/schema" {
			assert.Equal(t, contract.Fail, c.Status)
			assert.Equal(t, 2, c.Requests)
			assert.Equal(t, "bad\n1 of the 2 answers that exercised the rule broke it", c.Reason)
			assert.Equal(t, "curl -sS 'http://upstream/api/v4/get_job_instance_list?bk_token=***'", c.Curl)
		}
	}
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
