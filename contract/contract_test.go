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
// BKJOB_CONTRACT_TO (RFC 3339 or Unix ms) — the same as the CLI's flags.

import (
	"context"
	"net/http/httptest"
	"os"
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

// The two ways to run the suite give the same results.
func TestSubtestsMatchRun(t *testing.T) {
	t.Parallel()
	broken := mutations()[0].wrap(newFake(time.Now(), 300)) // a renamed field: failures and skips
	srv := httptest.NewServer(broken)
	t.Cleanup(srv.Close)
	cfg := fakeConfig(srv.URL)
	cfg.ForbiddenScope = bkjob.Scope{}

	want := runSuite(t, cfg)
	s, err := contract.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	var got []contract.CheckResult
	for _, c := range s.Checks() {
		got = append(got, s.RunCheck(context.Background(), c.Name))
	}
	require.Len(t, got, len(want.Checks))
	for i, g := range got {
		w := want.Checks[i]
		assert.Equal(t, w.Name, g.Name)
		assert.Equal(t, w.Status, g.Status, g.Name)
		assert.Equal(t, w.Reason, g.Reason, g.Name)
	}
}
