package contract_test

// TestContract runs the suite against a target given by environment variables,
// each check a subtest; it is skipped when BKJOB_CONTRACT_BASE_URL is unset:
//
//	BKJOB_CONTRACT_BASE_URL=http://127.0.0.1:8080 \
//	BKJOB_CONTRACT_AUTH='{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"admin"}' \
//	BKJOB_CONTRACT_SCOPE=biz:2 go test ./contract -run TestContract -v
//
// Also read: BKJOB_CONTRACT_FORBIDDEN_SCOPE, BKJOB_CONTRACT_MISSING_SCOPE,
// BKJOB_CONTRACT_OTHER_SCOPE, BKJOB_CONTRACT_IP (comma-separated),
// BKJOB_CONTRACT_SYSTEM (true), BKJOB_CONTRACT_TIMEOUT (10s),
// BKJOB_CONTRACT_RATE (requests per second), BKJOB_CONTRACT_FROM and
// BKJOB_CONTRACT_TO (RFC 3339 or Unix ms), BKJOB_CONTRACT_ONLY and
// BKJOB_CONTRACT_SKIP (comma-separated patterns) — the same as the CLI's flags.

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/contract"
)

func TestContract(t *testing.T) {
	base := os.Getenv("BKJOB_CONTRACT_BASE_URL")
	if base == "" {
		t.Skip("BKJOB_CONTRACT_BASE_URL is not set")
	}
	cfg := contract.Config{BaseURL: base, Auth: os.Getenv("BKJOB_CONTRACT_AUTH")}
	scope := func(key, def string) bkjob.Scope {
		v := os.Getenv(key)
		if v == "" {
			v = def
		}
		if v == "" {
			return bkjob.Scope{}
		}
		sc, err := bkjob.ParseScope(v)
		require.NoError(t, err, key)
		return sc
	}
	cfg.Scope = scope("BKJOB_CONTRACT_SCOPE", "biz:2")
	cfg.ForbiddenScope = scope("BKJOB_CONTRACT_FORBIDDEN_SCOPE", "")
	cfg.MissingScope = scope("BKJOB_CONTRACT_MISSING_SCOPE", "")
	cfg.OtherScope = scope("BKJOB_CONTRACT_OTHER_SCOPE", "")
	if v := os.Getenv("BKJOB_CONTRACT_IP"); v != "" {
		cfg.Hosts = strings.Split(v, ",")
	}
	cfg.System, _ = strconv.ParseBool(os.Getenv("BKJOB_CONTRACT_SYSTEM"))
	for key, dst := range map[string]*[]string{"BKJOB_CONTRACT_ONLY": &cfg.Only, "BKJOB_CONTRACT_SKIP": &cfg.Skip} {
		if v := os.Getenv(key); v != "" {
			*dst = strings.Split(v, ",")
		}
	}
	if v := os.Getenv("BKJOB_CONTRACT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "BKJOB_CONTRACT_TIMEOUT")
		cfg.Timeout = d
	}
	if v := os.Getenv("BKJOB_CONTRACT_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		require.NoError(t, err, "BKJOB_CONTRACT_RATE")
		cfg.Rate = r
	}
	for key, dst := range map[string]*time.Time{"BKJOB_CONTRACT_FROM": &cfg.From, "BKJOB_CONTRACT_TO": &cfg.To} {
		if v := os.Getenv(key); v != "" {
			tm, err := parseTime(v)
			require.NoError(t, err, key)
			*dst = tm
		}
	}
	s, err := contract.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	runChecks(t, s)
}

func parseTime(v string) (time.Time, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	return time.Parse(time.RFC3339, v)
}

// runChecks runs every check of s as a subtest.
func runChecks(t *testing.T, s *contract.Suite) {
	t.Helper()
	for _, c := range s.Checks() {
		t.Run(c.Name, func(t *testing.T) {
			r := s.RunCheck(context.Background(), c.Name)
			switch r.Status {
			case contract.Fail:
				t.Errorf("%s\n%s", r.Reason, r.Curl)
			case contract.Skip:
				t.Skip(r.Reason)
			}
		})
	}
}

// The two ways to run the suite give the same results: TestContract, run by
// this very test binary in a child process against a broken server, reports
// each check as a subtest with the status contract.Run gives it.
func TestSubtestsMatchRun(t *testing.T) {
	t.Parallel()
	if os.Getenv("BKJOB_CONTRACT_BASE_URL") != "" {
		t.Skip("the child process runs TestContract only")
	}
	now := time.Now()
	broken := mutations()[0].wrap(newFake(now, 300)) // a renamed field: failures and skips
	srv := httptest.NewServer(broken)
	t.Cleanup(srv.Close)
	cfg := fakeConfig(srv.URL)
	cfg.ForbiddenScope = bkjob.Scope{}
	cfg.From, cfg.To = now.Add(-24*time.Hour), now.Add(-time.Minute)
	want := runSuite(t, cfg)

	cmd := exec.Command(os.Args[0], "-test.run", "^TestContract$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"BKJOB_CONTRACT_BASE_URL="+cfg.BaseURL,
		"BKJOB_CONTRACT_AUTH="+cfg.Auth,
		"BKJOB_CONTRACT_SCOPE="+cfg.Scope.String(),
		"BKJOB_CONTRACT_MISSING_SCOPE="+cfg.MissingScope.String(),
		"BKJOB_CONTRACT_IP="+strings.Join(cfg.Hosts, ","),
		"BKJOB_CONTRACT_SYSTEM=true",
		"BKJOB_CONTRACT_FROM="+strconv.FormatInt(cfg.From.UnixMilli(), 10),
		"BKJOB_CONTRACT_TO="+strconv.FormatInt(cfg.To.UnixMilli(), 10),
	)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "TestContract must fail against a broken server:\n%s", out)

	got := map[string]contract.Status{}
	verdicts := map[string]contract.Status{"PASS": contract.Pass, "FAIL": contract.Fail, "SKIP": contract.Skip}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(strings.TrimSpace(line))
		if len(f) >= 3 && f[0] == "---" && strings.HasPrefix(f[2], "TestContract/") {
			got[strings.TrimPrefix(f[2], "TestContract/")] = verdicts[strings.TrimSuffix(f[1], ":")]
		}
	}
	require.Len(t, got, len(want.Checks), "subtests of TestContract:\n%s", out)
	counts := map[contract.Status]int{}
	for _, w := range want.Checks {
		assert.Equal(t, w.Status, got[w.Name], w.Name)
		counts[w.Status]++
	}
	assert.NotZero(t, counts[contract.Fail], "the broken server fails checks")
	assert.NotZero(t, counts[contract.Skip], "the broken server makes checks skip")
}
