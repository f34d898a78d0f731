package mock_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// withRules is the default fixtures file with a scenarios section.
func withRules(t *testing.T, section string) *fixtures.Fixtures {
	t.Helper()
	fx, err := fixtures.Parse("rules.yaml", []byte(defaultYAML(t)+"\nscenarios:\n"+section))
	require.NoError(t, err)
	return fx
}

// ruleLine is the line of the first rule in a file made by withRules.
func ruleLine(t *testing.T) int {
	return strings.Count(defaultYAML(t)+"\nscenarios:\n", "\n") + 1
}

func serverWith(t *testing.T, fx *fixtures.Fixtures) *httptest.Server {
	t.Helper()
	return newServer(t, func(c *mock.Config) { c.Fixtures = fx })
}

func TestFixtureRules(t *testing.T) {
	t.Parallel()
	fx := withRules(t, `
  - scenario: gateway-timeout
    scope: biz:3
  - scenario: empty
    user: zhangsan
  - scenario: latency:30ms, internal-error
    params: {status: 4, name: boom}
  - scenario: running
`)
	first := ruleLine(t) + 1 // the section starts with a blank line
	srv := serverWith(t, fx)
	biz3 := "bk_scope_type=biz&bk_scope_id=3&" + window
	source := func(i int) string { return "fixtures:" + itoa(int64(first+2*i)) }

	assert.Equal(t, 504, get(t, srv, biz3, adminAuth).status, "by scope")
	assert.Equal(t, []scenarioUse{{"gateway-timeout", source(0)}}, journalEntries(t, srv, "limit=1")[0].Scenarios)
	assert.Empty(t, list(t, get(t, srv, biz2, zhangsanAuth)), "by user")
	assert.Equal(t, 500, get(t, srv, biz2+"&status=4&name=boom", adminAuth).status, "by parameter values")
	e := journalEntries(t, srv, "limit=1")[0]
	assert.ElementsMatch(t, []scenarioUse{{"latency:30ms", "fixtures:" + itoa(int64(first+4))}, {"internal-error", "fixtures:" + itoa(int64(first+4))}}, e.Scenarios)
	assert.GreaterOrEqual(t, e.DurationMS, 30.0)
	assertRunning(t, list(t, get(t, srv, biz2+"&status=4", adminAuth)), 10, "biz:2") // every value must match

	// Precedence: the header, then the admin API, then the rules, per slot.
	assert.Len(t, list(t, get(t, srv, biz2, zhangsanAuth, mock.ScenarioHeader, "full-page")), 200, "the header beats a rule")
	assert.Equal(t, 200, get(t, srv, biz3, adminAuth, mock.ScenarioHeader, "none").status, "none beats every rule")
	switchOn(t, srv, map[string]any{"scenario": "no-permission", "scope": "biz:3"})
	assert.Equal(t, 403, get(t, srv, biz3, adminAuth).status, "the admin API beats a rule")
	switchOn(t, srv, map[string]any{"scenario": "latency:1ms"})
	a := get(t, srv, biz2+"&status=4&name=boom", adminAuth)
	assert.Equal(t, 500, a.status, "the rule still decides the answer")
	assert.ElementsMatch(t, []scenarioUse{{"latency:1ms", "admin:2"}, {"internal-error", "fixtures:" + itoa(int64(first+4))}}, journalEntries(t, srv, "limit=1")[0].Scenarios)

	// Listed with the active scenarios and in the config.
	s := do(t, srv, http.MethodGet, "/__mock/scenarios", "", nil)
	assert.Contains(t, string(s.body), `{"scenario":"latency:30ms, internal-error","params":{"name":"boom","status":"4"},"source":"fixtures:`)
}

// TestEveryScenarioByRule switches each scenario on by a fixtures rule.
func TestEveryScenarioByRule(t *testing.T) {
	t.Parallel()
	for _, spec := range specs(fetchCatalog(t, newServer(t))) {
		check := scenarioChecks[spec]
		if check == nil {
			continue
		}
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			srv := serverWith(t, withRules(t, "  - {scenario: \""+spec+"\", scope: biz:2}\n"))
			check(t, get(t, srv, biz2, adminAuth))
			if spec != "none" {
				e := journalEntries(t, srv, "limit=1")[0]
				require.NotEmpty(t, e.Scenarios)
				assert.True(t, strings.HasPrefix(e.Scenarios[0].Source, "fixtures:"))
			}
		})
	}
}

func TestBadFixtureRules(t *testing.T) {
	t.Parallel()
	line := ruleLine(t)
	for _, tt := range []struct {
		section, want string
	}{
		{"  - scenario: nope\n", "rules.yaml:" + itoa(int64(line)) + `: scenario rule: unknown scenario "nope"; valid scenarios: no-permission`},
		{"  - scenario: latency\n", `needs a duration`},
		{"  - scenario: empty, running\n", `SCENARIO_CONFLICT`},
		{"  - {scenario: empty, params: {lenght: 5}}\n", `"lenght" is not a parameter of the API`},
	} {
		fx := withRules(t, tt.section)
		_, err := mock.New(mock.Config{Fixtures: fx, Seed: 1, Now: func() time.Time { return pinnedNow }, JournalSize: mock.DefaultJournalSize})
		require.Error(t, err, tt.section)
		if tt.want == "SCENARIO_CONFLICT" {
			assert.Contains(t, err.Error(), "both decide the answer")
			continue
		}
		assert.Contains(t, err.Error(), tt.want)
	}
	for _, tt := range []struct {
		section, want string
	}{
		{"  - {scenario: empty, scope: biz:999}\n", `scope "biz:999" is not defined under scopes`},
		{"  - {user: zhangsan}\n", `missing "scenario: NAME"`},
		{"  - {scenario: empty, when: later}\n", `unknown key "when" in a scenario rule (allowed: scenario, scope, user, params)`},
		{"  - {scenario: empty, params: [status]}\n", `params must be a mapping`},
	} {
		_, err := fixtures.Parse("rules.yaml", []byte(defaultYAML(t)+"\nscenarios:\n"+tt.section))
		require.Error(t, err, tt.section)
		assert.Contains(t, err.Error(), tt.want)
		assert.Contains(t, err.Error(), "rules.yaml:"+itoa(int64(line)))
	}
}

// TestReloadRules: rules come and go with the fixtures; a reload to a file
// with a bad rule keeps the old rules.
func TestReloadRules(t *testing.T) {
	t.Parallel()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	m, err := mock.New(mock.Config{Fixtures: fx, Seed: 1, Now: func() time.Time { return pinnedNow }, JournalSize: mock.DefaultJournalSize})
	require.NoError(t, err)
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)

	require.Equal(t, 200, get(t, srv, biz2, adminAuth).status)
	require.NoError(t, m.Reload(withRules(t, "  - scenario: bad-gateway\n")))
	assert.Equal(t, 502, get(t, srv, biz2, adminAuth).status)
	assert.Error(t, m.Reload(withRules(t, "  - scenario: bad-gateway:nope\n")))
	assert.Equal(t, 502, get(t, srv, biz2, adminAuth).status, "the old rules stay")
	require.NoError(t, m.Reload(fx))
	assert.Equal(t, 200, get(t, srv, biz2, adminAuth).status)
}
