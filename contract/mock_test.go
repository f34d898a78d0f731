package contract_test

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/contract"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// mockNow pins the mock's clock.
var mockNow = time.Date(2026, 3, 15, 2, 30, 0, 0, time.UTC)

func newMock(t testing.TB, cfg mock.Config) http.Handler {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	cfg.Fixtures = fx
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	cfg.Now = func() time.Time { return mockNow }
	if cfg.JournalSize == 0 {
		cfg.JournalSize = mock.DefaultJournalSize
	}
	h, err := mock.New(cfg)
	require.NoError(t, err)
	return h
}

func hostsOf(t testing.TB, scope string) []string {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	sc, err := bkjob.ParseScope(scope)
	require.NoError(t, err)
	s, ok := fx.LookupScope(sc)
	require.True(t, ok, "no scope %s in the default fixtures", scope)
	return s.Hosts
}

// mockConfig checks the default fixtures as zhangsan, who may read biz:2 only.
func mockConfig(t testing.TB) func(baseURL string) contract.Config {
	hosts := hostsOf(t, "biz:2")
	return func(baseURL string) contract.Config {
		cfg := fakeConfig(baseURL)
		cfg.Hosts = hosts
		cfg.From, cfg.To = mockNow.Add(-contract.DefaultWindow-time.Minute), mockNow.Add(-time.Minute)
		return cfg
	}
}

// skipsAllowed are the checks a run against the mock may skip, and why.
var skipsAllowed = map[string]string{}

func assertAllPass(t *testing.T, res *contract.Result) {
	t.Helper()
	var skipped []string
	for _, c := range res.Checks {
		switch c.Status {
		case contract.Fail:
			t.Errorf("%s failed: %s\n%s", c.Name, c.Reason, c.Curl)
		case contract.Skip:
			skipped = append(skipped, c.Name+": "+c.Reason)
			if _, ok := skipsAllowed[c.Name]; !ok {
				t.Errorf("%s skipped: %s", c.Name, c.Reason)
			}
		}
	}
	sort.Strings(skipped)
	for _, s := range skipped {
		t.Log("skipped", s)
	}
	assert.Len(t, res.Checks, len(contract.Checks()))
	assert.LessOrEqual(t, res.Requests, contract.DefaultMaxRequests)
}

func TestMockPasses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newMock(t, mock.Config{}))
	t.Cleanup(srv.Close)
	assertAllPass(t, runSuite(t, mockConfig(t)(srv.URL)))
}

// With admin, who may read every scope, job_instance_id is checked against
// another scope through the user API; the API lives under a stage prefix.
func TestMockPassesAsAdminUnderBasePath(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newMock(t, mock.Config{BasePath: "/prod"}))
	t.Cleanup(srv.Close)
	cfg := mockConfig(t)(srv.URL + "/prod/")
	cfg.Auth = `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"admin"}`
	cfg.ForbiddenScope = bkjob.Scope{}
	cfg.OtherScope = bkjob.Scope{Type: "biz", ID: "3"}
	res := runSuite(t, cfg)
	for _, c := range res.Checks {
		switch c.Name {
		case "permissions/forbidden_scope", "permissions/forbidden_before_validation", "system/no_permission_check":
			assert.Equal(t, contract.Skip, c.Status, c.Name)
		default:
			assert.NotEqual(t, contract.Fail, c.Status, "%s: %s", c.Name, c.Reason)
		}
	}
}

// Without a window the suite reads the target's clock from its Date header,
// which follows the mock's pinned clock.
func TestMockPassesWithoutWindow(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newMock(t, mock.Config{}))
	t.Cleanup(srv.Close)
	cfg := mockConfig(t)(srv.URL)
	cfg.From, cfg.To = time.Time{}, time.Time{}
	res := runSuite(t, cfg)
	assertAllPass(t, res)
	assert.Contains(t, res.Clock, "Date header")
}

// Against --quirks the suite reports exactly the known deviations of the real
// server: 500 on an invalid status or launch_mode, an invalid type ignored.
func TestMockQuirks(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newMock(t, mock.Config{Quirks: true}))
	t.Cleanup(srv.Close)
	res := runSuite(t, mockConfig(t)(srv.URL))
	var failed []string
	for _, c := range res.Checks {
		if c.Status == contract.Fail {
			failed = append(failed, c.Name)
		}
	}
	assert.ElementsMatch(t, []string{"rules/invalid/status", "rules/invalid/launch_mode", "rules/invalid/type"}, failed)
	st := statusOf(res)
	assert.Contains(t, st["rules/invalid/status"].Reason, "500 INTERNAL")
	assert.Contains(t, st["rules/invalid/type"].Reason, "200 with")
}

func TestMutationsMock(t *testing.T) {
	t.Parallel()
	runMutations(t, newMock(t, mock.Config{}), mockConfig(t))
}

func TestHonestMock(t *testing.T) {
	t.Parallel()
	runHonest(t, newMock(t, mock.Config{}), mockConfig(t))
}
