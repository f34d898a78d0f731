package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

func ExampleMaskAuth() {
	fmt.Println(MaskAuth(`{"bk_app_code":"demo","bk_app_secret":"s3cret","bk_username":"admin"}`))
	fmt.Println(MaskAuth(`{"bk_app_code":"demo","bk_token":"tok"}`))
	fmt.Println(MaskAuth(`not json`))
	// Output:
	// {"bk_app_code":"demo","bk_app_secret":"***","bk_username":"admin"}
	// {"bk_app_code":"demo","bk_token":"***"}
	// not json
}

func testConfig(baseURL string) Config {
	return Config{
		BaseURL: baseURL,
		Auth:    `{"bk_app_code":"demo","bk_app_secret":"s3cret-value","bk_username":"admin","access_token":"tok-value"}`,
		Scope:   bkjob.Scope{Type: "biz", ID: "2"},
	}
}

func TestCurlMasksSecrets(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://example.com/prod")
	require.NoError(t, cfg.check())
	c := newClient(&cfg, func(*exchange) {})
	ex := c.send(context.Background(), "x", request{query: params{{"name", "it's"}, {"bk_scope_id", "2"}}, language: "en"})
	got := c.curl(ex)
	assert.NotContains(t, got, "s3cret-value")
	assert.NotContains(t, got, "tok-value")
	assert.Contains(t, got, `"bk_app_secret":"***"`)
	assert.Contains(t, got, `-H 'Blueking-Language: en'`)
	assert.Contains(t, got, `'http://example.com/prod/api/v4/get_job_instance_list?name=it%27s&bk_scope_id=2'`)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no base URL", func(c *Config) { c.BaseURL = "" }, "base URL"},
		{"relative base URL", func(c *Config) { c.BaseURL = "/api" }, "base URL"},
		{"query in base URL", func(c *Config) { c.BaseURL = "http://h/?a=1" }, "no query"},
		{"auth not an object", func(c *Config) { c.Auth = `["demo"]` }, "auth"},
		{"no scope", func(c *Config) { c.Scope = bkjob.Scope{} }, "scope"},
		{"half a window", func(c *Config) { c.From = time.Now() }, "window"},
		{"window backwards", func(c *Config) { c.From, c.To = time.Now(), time.Now().Add(-time.Hour) }, "after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig("http://127.0.0.1:1")
			tc.edit(&cfg)
			_, err := Run(context.Background(), cfg, nil)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for name, url := range map[string]string{"timeout": slow.URL, "refused": closed.URL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(url)
			cfg.Timeout = 100 * time.Millisecond
			_, err := Run(context.Background(), cfg, nil)
			assert.True(t, errors.Is(err, ErrUnreachable), "%v", err)
		})
	}
}

// A target that answers anything at all is reachable: every check reports on it.
func TestNotAnAPI(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html>not here</html>")
	}))
	t.Cleanup(srv.Close)
	res, err := Run(context.Background(), testConfig(srv.URL), nil)
	require.NoError(t, err)
	for _, c := range res.Checks {
		if c.Name != "conformance/status_documented" && c.Name != "conformance/no_null_fields" {
			assert.NotEqual(t, Pass, c.Status, c.Name) // 404 is documented; HTML has no nulls
		}
		if c.Status == Fail {
			assert.NotEmpty(t, c.Curl, c.Name)
			assert.NotContains(t, c.Curl+c.Reason, "s3cret-value", c.Name)
		}
	}
}

func TestRequestBudget(t *testing.T) {
	t.Parallel()
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":{"job_instance_list":[]},"job_request_id":"0123456789abcdef0123456789abcdef"}`)
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.MaxRequests = 5
	res, err := Run(context.Background(), cfg, nil)
	require.NoError(t, err)
	assert.Equal(t, 5, res.Requests)
	assert.Equal(t, 5, n)
	budget := 0
	for _, c := range res.Checks {
		if c.Status == Skip && strings.Contains(c.Reason, "budget") {
			budget++
		}
	}
	assert.Positive(t, budget)
}

// The window ends a minute before the target's Date header.
func TestWindowFromDateHeader(t *testing.T) {
	t.Parallel()
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", date.Format(http.TimeFormat))
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	s, err := New(testConfig(srv.URL))
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	from, to, source := s.Window()
	assert.Equal(t, date.Add(-time.Minute), to.UTC())
	assert.Equal(t, date.Add(-time.Minute-DefaultWindow), from.UTC())
	assert.Contains(t, source, "Date header")
}

func sampleResult() *Result {
	return &Result{
		BaseURL: "http://h", Scope: "biz:2", Started: time.Unix(0, 0), Duration: 2 * time.Second, Requests: 3,
		Checks: []CheckResult{
			{Name: "gateway/no_auth_header", Group: "gateway", Status: Pass, Requests: 1, Duration: time.Millisecond},
			{Name: "rules/invalid/status", Group: "rules", Status: Fail, Reason: "status=12: got 500 <INTERNAL> & more", Curl: "curl -sS 'http://h/x?a=1&b=2'", Requests: 1},
			{Name: "permissions/forbidden_scope", Group: "permissions", Status: Skip, SkipClass: SkipConfiguration, Reason: "no --forbidden-scope given"},
		},
	}
}

func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, sampleResult()))
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc))
	assert.Equal(t, 3, doc.Tests)
	assert.Equal(t, 1, doc.Failures)
	assert.Equal(t, 1, doc.Skipped)
	require.Len(t, doc.Suites, 3)
	fail := doc.Suites[1].Cases[0]
	require.NotNil(t, fail.Failure)
	assert.Equal(t, "status=12: got 500 <INTERNAL> & more", fail.Failure.Message)
	assert.Contains(t, fail.Failure.Text, "curl -sS 'http://h/x?a=1&b=2'")
	assert.Equal(t, "no --forbidden-scope given", doc.Suites[2].Cases[0].Skipped.Message)
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, sampleResult()))
	var doc struct {
		BaseURL string `json:"base_url"`
		Summary struct{ Passed, Failed, Skipped int }
		Checks  []struct {
			Name, Status, Reason, Curl string
		}
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	assert.Equal(t, "http://h", doc.BaseURL)
	assert.Equal(t, 1, doc.Summary.Failed)
	require.Len(t, doc.Checks, 3)
	assert.Equal(t, "fail", doc.Checks[1].Status)
	assert.Equal(t, "curl -sS 'http://h/x?a=1&b=2'", doc.Checks[1].Curl)
}

func TestTextReporter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &TextReporter{W: &buf}
	res := sampleResult()
	for _, c := range res.Checks {
		r.Check(c)
	}
	r.Done(res)
	out := buf.String()
	assert.Contains(t, out, "--- PASS: gateway/no_auth_header (0.00s)\n")
	assert.Contains(t, out, "--- FAIL: rules/invalid/status (0.00s)\n    status=12: got 500 <INTERNAL> & more\n    curl -sS 'http://h/x?a=1&b=2'\n")
	assert.Contains(t, out, "--- SKIP: permissions/forbidden_scope (0.00s) [configuration]\n    no --forbidden-scope given\n")
	assert.True(t, strings.HasSuffix(out, "1 passed, 1 failed, 1 skipped: 1 configuration\n"), out)
}

// A run where an essential check skipped for data is inconclusive, and the
// text says what to change; a skip for configuration is not.
func TestVerdict(t *testing.T) {
	t.Parallel()
	res := &Result{Scope: "biz:2", Checks: []CheckResult{
		{Name: "semantics/filter/ip", Group: "semantics", Status: Skip, SkipClass: SkipConfiguration},
		{Name: "semantics/order/ties_by_id_asc", Group: "semantics", Status: Skip, SkipClass: SkipData},
		{Name: "gateway/no_auth_header", Group: "gateway", Status: Pass},
	}}
	assert.Equal(t, VerdictPass, res.Verdict(), "skips of checks that are not essential")
	res.Checks = append(res.Checks, CheckResult{Name: "semantics/default_length", Group: "semantics", Status: Skip, SkipClass: SkipData, Essential: true,
		Reason: "needs at least 11 tasks in the window, biz:2 has 0"})
	assert.Equal(t, VerdictInconclusive, res.Verdict())
	assert.Equal(t, map[SkipClass]int{SkipConfiguration: 1, SkipData: 2}, res.SkipCounts())
	var buf bytes.Buffer
	(&TextReporter{W: &buf}).Done(res)
	assert.Contains(t, buf.String(), "1 passed, 0 failed, 3 skipped: 1 configuration, 2 data\n")
	assert.Contains(t, buf.String(), "INCONCLUSIVE: 1 essential check(s)")
	assert.Contains(t, buf.String(), "semantics/default_length: needs at least 11 tasks")
	assert.Contains(t, buf.String(), "--allow-inconclusive")

	res.Checks = append(res.Checks, CheckResult{Name: "semantics/filter/name", Status: Fail})
	assert.Equal(t, VerdictFail, res.Verdict(), "a failure wins")
	res.Error = "target unreachable"
	assert.Equal(t, VerdictError, res.Verdict())

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, &Result{Checks: res.Checks[:4]}))
	var doc struct {
		Summary struct {
			Verdict      string
			Inconclusive []string
			SkippedBy    map[string]int `json:"skipped_by_class"`
		}
		Coverage []struct {
			Group                                string
			Checks, Ran, Passed, Failed, Skipped int
		}
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &doc))
	assert.Equal(t, "inconclusive", doc.Summary.Verdict)
	assert.Equal(t, []string{"semantics/default_length"}, doc.Summary.Inconclusive)
	assert.Equal(t, map[string]int{"configuration": 1, "data": 2}, doc.Summary.SkippedBy)
	require.Len(t, doc.Coverage, 2)
	assert.Equal(t, "semantics", doc.Coverage[0].Group)
	assert.Equal(t, 3, doc.Coverage[0].Checks)
	assert.Equal(t, 0, doc.Coverage[0].Ran)
	assert.Equal(t, 1, doc.Coverage[1].Ran)
}

// Every essential check exists, and every check's skips have a class.
func TestEssentialChecksExist(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, c := range Checks() {
		names[c.Name] = true
		assert.Equal(t, essentialChecks[c.Name], c.Essential, c.Name)
	}
	for name := range essentialChecks {
		assert.True(t, names[name], "essential check %s does not exist", name)
	}
}

func TestCheckNamesAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range Checks() {
		assert.False(t, seen[c.Name], "duplicate %s", c.Name)
		seen[c.Name] = true
		assert.Contains(t, []string{"gateway", "permissions", "rules", "semantics", "system", "conformance"}, c.Group, c.Name)
		assert.NotEmpty(t, c.Doc, c.Name)
	}
}
