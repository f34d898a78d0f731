package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/contract"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// runContractCLI runs "bkjob-mock contract" with args and an environment.
func runContractCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r := runCLI(t, env, append([]string{"contract"}, args...)...)
	return r.code, r.stdout, r.stderr
}

func TestContractHelp(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runContractCLI(t, nil, "--help")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
	assert.Contains(t, stdout, "Usage: bkjob-mock contract --base-url URL --auth JSON")
	assert.Contains(t, stdout, fmt.Sprintf("at most %d requests", contract.DefaultMaxRequests))
	assert.Contains(t, stdout, "GET requests only")
	for _, flag := range []string{"-base-url", "-auth", "-scope", "-forbidden-scope", "-missing-scope", "-system", "-junit", "-json", "-timeout", "-rate"} {
		assert.Contains(t, stdout, "\n  "+flag, flag)
	}
}

func TestContractList(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runContractCLI(t, nil, "--list")
	assert.Equal(t, 0, code)
	assert.Equal(t, len(contract.Checks()), strings.Count(stdout, "\n"))
	assert.Contains(t, stdout, "rules/missing/create_time_start")
}

func TestContractBadUsage(t *testing.T) {
	t.Parallel()
	const auth = `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"admin"}`
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no flags", nil, "--base-url is required"},
		{"no auth", []string{"--base-url", "http://127.0.0.1:1"}, "--auth is required"},
		{"unknown flag", []string{"--bogus"}, "flag provided but not defined"},
		{"extra argument", []string{"--base-url", "http://127.0.0.1:1", "extra"}, "unexpected argument"},
		{"bad scope", []string{"--base-url", "http://127.0.0.1:1", "--auth", auth, "--scope", "biz"}, "TYPE:ID"},
		{"bad base URL", []string{"--base-url", "ftp://host", "--auth", auth}, "base URL"},
		{"auth not JSON", []string{"--base-url", "http://127.0.0.1:1", "--auth", "hunter2"}, "auth"},
		{"from without to", []string{"--base-url", "http://127.0.0.1:1", "--auth", auth, "--from", "1700000000000"}, "window"},
		{"bad time", []string{"--base-url", "http://127.0.0.1:1", "--auth", auth, "--from", "yesterday", "--to", "1"}, "RFC3339"},
		{"negative rate", []string{"--base-url", "http://127.0.0.1:1", "--auth", auth, "--rate", "-1"}, "--rate"},
		{"report in a missing directory", []string{"--base-url", "http://127.0.0.1:1", "--auth", auth, "--junit", "/nonexistent/dir/r.xml"}, "nonexistent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runContractCLI(t, nil, tc.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want)
			assert.NotContains(t, stderr, "hunter2")
		})
	}
}

// An unreachable target exits 2, and the reports are written all the same,
// with the error, for the CI step that uploads them.
func TestContractUnreachable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := runContractCLI(t, map[string]string{"BKJOB_CONTRACT_AUTH": `{"bk_app_code":"demo","bk_app_secret":"s3cret","bk_username":"admin"}`},
		"--base-url", "http://127.0.0.1:1", "--timeout", "2s", // port 1: nothing listens there
		"--json", filepath.Join(dir, "report.json"), "--junit", filepath.Join(dir, "junit.xml"))

	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unreachable")
	assert.NotContains(t, stderr, "s3cret")

	var report struct {
		Error   string
		Summary struct{ Verdict string }
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &report))
	assert.Contains(t, report.Error, "unreachable")
	assert.Equal(t, "error", report.Summary.Verdict)
	assert.NotContains(t, string(b), "s3cret")

	var junit struct {
		Errors int `xml:"errors,attr"`
		Suites []struct {
			Cases []struct {
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	b, err = os.ReadFile(filepath.Join(dir, "junit.xml"))
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(b, &junit))
	assert.Equal(t, 1, junit.Errors)
	require.Len(t, junit.Suites, 1)
	require.Len(t, junit.Suites[0].Cases, 1)
	require.NotNil(t, junit.Suites[0].Cases[0].Error)
	assert.Contains(t, junit.Suites[0].Cases[0].Error.Message, "unreachable")
}

// A window without tasks: nothing fails, essential checks skip for data, and
// the run is inconclusive (exit 3) unless --allow-inconclusive.
func TestContractInconclusive(t *testing.T) {
	t.Parallel()
	url := newMockServer(t, false)
	dir := t.TempDir()
	args := contractArgs(url, dir)
	// A window long before the mock's history: the scope has no task there.
	for i, a := range args {
		switch a {
		case "--from":
			args[i+1] = "2021-01-01T00:00:00Z"
		case "--to":
			args[i+1] = "2021-01-02T00:00:00Z"
		}
	}
	env := map[string]string{"BKJOB_CONTRACT_AUTH": secretAuth}
	code, stdout, stderr := runContractCLI(t, env, args...)
	require.Equal(t, 3, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "0 failed")
	assert.Regexp(t, `skipped: \d+ data\n`, stdout)
	assert.Contains(t, stdout, "INCONCLUSIVE:")
	assert.Contains(t, stdout, "semantics/default_length: needs at least 11 tasks")
	assert.Contains(t, stdout, "--- SKIP: semantics/paging/walk (")

	var report struct {
		Summary struct {
			Verdict      string
			Inconclusive []string
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &report))
	assert.Equal(t, "inconclusive", report.Summary.Verdict)
	assert.Contains(t, report.Summary.Inconclusive, "semantics/paging/walk")

	code, stdout, _ = runContractCLI(t, env, append(args, "--allow-inconclusive")...)
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "accepted as a pass: --allow-inconclusive")
}

// mockNow pins the mock's clock in the CLI tests.
var mockNow = time.Date(2026, 3, 15, 2, 30, 0, 0, time.UTC)

func newMockServer(t *testing.T, quirks bool) string {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	h, err := mock.New(mock.Config{Fixtures: fx, Seed: 7, Now: func() time.Time { return mockNow }, Quirks: quirks})
	require.NoError(t, err)
	srv := httptest.NewServer(h) // a real listener on 127.0.0.1:0
	t.Cleanup(srv.Close)
	return srv.URL
}

const secretAuth = `{"bk_app_code":"demo","bk_app_secret":"t0p-s3cret","bk_username":"zhangsan"}`

func contractArgs(url, dir string) []string {
	return []string{
		"--base-url", url, "--scope", "biz:2", "--forbidden-scope", "biz:3", "--missing-scope", "biz:999",
		"--system", "--ip", "10.0.2.11,10.0.2.12", "--rate", "0",
		"--from", mockNow.Add(-contract.DefaultWindow).Format(time.RFC3339), "--to", mockNow.Add(-time.Minute).Format(time.RFC3339),
		"--junit", filepath.Join(dir, "junit.xml"), "--json", filepath.Join(dir, "report.json"),
	}
}

func TestContractAgainstMock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, stdout, stderr := runContractCLI(t, map[string]string{"BKJOB_CONTRACT_AUTH": secretAuth}, contractArgs(newMockServer(t, false), dir)...)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	n := len(contract.Checks())
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Equal(t, fmt.Sprintf("%d passed, 0 failed, 0 skipped", n), lines[len(lines)-1])
	assert.Contains(t, stdout, "--- PASS: semantics/order/create_time_desc")

	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(b, &junit))
	assert.Equal(t, n, junit.Tests)
	assert.Zero(t, junit.Failures)

	var report struct {
		Summary struct{ Passed, Failed, Skipped int }
		Checks  []struct{ Name, Status string }
	}
	b, err = os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &report))
	assert.Equal(t, n, report.Summary.Passed)
	assert.Len(t, report.Checks, n)
}

// Against --quirks the command fails, names the three known deviations, and
// prints curl commands with the secret masked.
func TestContractAgainstQuirks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, stdout, stderr := runContractCLI(t, map[string]string{"BKJOB_CONTRACT_AUTH": secretAuth}, contractArgs(newMockServer(t, true), dir)...)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	for _, name := range []string{"rules/invalid/status", "rules/invalid/launch_mode", "rules/invalid/type"} {
		assert.Contains(t, stdout, "--- FAIL: "+name)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Equal(t, fmt.Sprintf("%d passed, 3 failed, 0 skipped", len(contract.Checks())-3), lines[len(lines)-1])
	assert.Contains(t, stdout, `curl -sS -H 'X-Bkapi-Authorization: {"bk_app_code":"demo","bk_app_secret":"***","bk_username":"zhangsan"}'`)
	for _, f := range []string{"junit.xml", "report.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.NotContains(t, string(b), "t0p-s3cret", f)
		assert.Contains(t, string(b), "rules/invalid/launch_mode", f)
	}
	assert.NotContains(t, stdout+stderr, "t0p-s3cret")
}

// A report path that cannot be written is found before any request, and the
// report opened before it is removed.
func TestContractBadReportPathLeavesNoFile(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	code, stdout, stderr := runContractCLI(t, nil, "--base-url", "http://127.0.0.1:1", "--auth", secretAuth,
		"--junit", junit, "--json", "/nonexistent/dir/r.json")
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "/nonexistent/dir/r.json")
	assert.Contains(t, stderr, "Run 'bkjob-mock contract --help' for usage.")
	assert.NoFileExists(t, junit)
}

// --only and --skip select checks by group, prefix, name or glob, in --list
// and in a run, whose reports say how many were left out; a pattern that
// matches nothing is a usage error.
func TestContractOnlySkip(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runContractCLI(t, nil, "--list", "--only", "semantics/filter,rules/type/length", "--skip", "*ip*")
	require.Equal(t, 0, code)
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		names = append(names, strings.Fields(line)[0])
	}
	assert.Contains(t, names, "semantics/filter/operator")
	assert.Contains(t, names, "rules/type/length")
	assert.NotContains(t, names, "rules/type/length_overflow", "a name is not a prefix of another name")
	assert.NotContains(t, names, "semantics/filter/ip")
	assert.NotContains(t, names, "semantics/base_query")
	assert.Contains(t, stdout, "semantics/filter/status                              * ", "essential checks are marked")

	code, _, stderr := runContractCLI(t, nil, "--list", "--only", "semantics/nothing*")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `no check matches "semantics/nothing*"`)

	dir := t.TempDir()
	args := append(contractArgs(newMockServer(t, false), dir), "--only", "*/job_instance_id/*", "--skip", "semantics/job_instance_id/keeps_scope")
	code, stdout, stderr = runContractCLI(t, map[string]string{"BKJOB_CONTRACT_AUTH": secretAuth}, args...)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "3 passed, 0 failed, 0 skipped\n")
	assert.Contains(t, stdout, fmt.Sprintf("%d check(s) not selected (--only/--skip)", len(contract.Checks())-3))
	var report struct {
		Deselected int
		Checks     []struct{ Name string }
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &report))
	assert.Len(t, report.Checks, 3)
	assert.Equal(t, len(contract.Checks())-3, report.Deselected)
}
