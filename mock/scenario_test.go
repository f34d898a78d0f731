package mock_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// catalogEntry is a scenario as GET /__mock/scenarios/catalog lists it.
type catalogEntry struct {
	Name    string   `json:"name"`
	Syntax  string   `json:"syntax"`
	Group   string   `json:"group"`
	Slot    string   `json:"slot"`
	Status  int      `json:"status"`
	Args    []string `json:"args"`
	Default string   `json:"default"`
	Summary string   `json:"summary"`
	Example string   `json:"example"`
}

func fetchCatalog(t *testing.T, srv *httptest.Server) []catalogEntry {
	t.Helper()
	a := do(t, srv, http.MethodGet, "/__mock/scenarios/catalog", "", nil)
	require.Equal(t, http.StatusOK, a.status)
	var body struct {
		Scenarios []catalogEntry `json:"scenarios"`
	}
	require.NoError(t, json.Unmarshal(a.body, &body))
	require.NotEmpty(t, body.Scenarios)
	return body.Scenarios
}

// specs lists every way of writing each catalog scenario the tests try: the
// bare name, and each accepted argument.
func specs(cat []catalogEntry) []string {
	var out []string
	for _, e := range cat {
		switch {
		case e.Name == "latency":
			out = append(out, "latency:30ms", "latency:10ms-40ms")
		case e.Name == "hang":
			out = append(out, "hang:50ms")
		default:
			out = append(out, e.Name)
			for _, a := range e.Args {
				out = append(out, e.Name+":"+a)
			}
		}
	}
	return out
}

// wantGateway checks a gateway legacy-envelope answer.
func assertGateway(t *testing.T, a answer, status, code int, codeName string) {
	t.Helper()
	require.Equal(t, status, a.status, "%s", a.body)
	m := a.json(t)
	assert.EqualValues(t, code, m["code"])
	assert.Equal(t, codeName, m["code_name"])
	assert.Equal(t, false, m["result"])
	assert.Nil(t, m["data"])
	assert.Equal(t, itoa(int64(code)), a.header.Get("X-Bkapi-Error-Code"))
	assert.Equal(t, m["message"], a.header.Get("X-Bkapi-Error-Message"))
	assert.NotContains(t, m, "job_request_id", "the gateway answered, not bk-job")
}

func list(t *testing.T, a answer) []map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var body struct {
		Data struct {
			List []map[string]any `json:"job_instance_list"`
		} `json:"data"`
		RequestID string `json:"job_request_id"`
	}
	require.NoError(t, json.Unmarshal(a.body, &body))
	assert.Regexp(t, hex32, body.RequestID)
	return body.Data.List
}

// assertInWindow checks that an item was created in the tests' window.
func assertInWindow(t *testing.T, it map[string]any) {
	t.Helper()
	c := num(it["create_time"])
	assert.GreaterOrEqual(t, c, pinnedNow.Add(-30*24*time.Hour).UnixMilli())
	assert.LessOrEqual(t, c, pinnedNow.UnixMilli())
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// assertRunning checks a page of still-running tasks at pinnedNow.
func assertRunning(t *testing.T, items []map[string]any, n int, scope string) {
	t.Helper()
	require.Len(t, items, n)
	now := pinnedNow.UnixMilli()
	for i, it := range items {
		assert.EqualValues(t, 2, it["status"])
		assert.NotContains(t, it, "end_time")
		assert.GreaterOrEqual(t, num(it["start_time"]), num(it["create_time"]))
		assert.Equal(t, now-num(it["start_time"]), num(it["total_time"]), "total_time is live")
		assert.Equal(t, scope, it["bk_scope_type"].(string)+":"+it["bk_scope_id"].(string))
		assertInWindow(t, it)
		if i > 0 {
			assert.LessOrEqual(t, num(it["create_time"]), num(items[i-1]["create_time"]), "newest first")
		}
	}
}

// scenarioChecks says what each scenario answers to admin on biz 2 with a
// valid query; every catalog spec must have one.
var scenarioChecks = map[string]func(t *testing.T, a answer){
	"no-permission": func(t *testing.T, a answer) {
		assertV4(t, a, wantV4{status: 403, code: "NO_PERMISSION", message: "用户(admin)权限不足，请前往权限中心确认并申请补充后重试", permissionFor: "2"})
	},
	"scope-not-found": func(t *testing.T, a answer) {
		assertV4(t, a, wantV4{status: 404, code: "NOT_FOUND", message: "业务/业务集不存在或已被归档", detailsCode: "1243049"})
	},
	"internal-error": func(t *testing.T, a answer) {
		assertV4(t, a, wantV4{status: 500, code: "INTERNAL", message: "内部服务器异常", detailsCode: "1240002"})
	},
	"missing-param":                   missingCheck("create_time_start"),
	"missing-param:create_time_start": missingCheck("create_time_start"),
	"missing-param:create_time_end":   missingCheck("create_time_end"),
	"missing-param:bk_scope_type":     missingCheck("bk_scope_type"),
	"missing-param:bk_scope_id":       missingCheck("bk_scope_id"),
	"type-mismatch":                   typeCheck("create_time_start"),
	"out-of-range":                    bindCheck("offset", "最多只能查偏移量为 0-10000 的执行历史"),
	"out-of-range:offset":             bindCheck("offset", "最多只能查偏移量为 0-10000 的执行历史"),
	"out-of-range:length":             bindCheck("length", "单次返回最大记录数量length必须在 1-200 之间"),
	"blank-param":                     bindCheck("bk_scope_id", "参数 bk_scope_id 不能为空"),
	"blank-param:bk_scope_id":         bindCheck("bk_scope_id", "参数 bk_scope_id 不能为空"),
	"blank-param:bk_scope_type":       bindCheck("bk_scope_type", "参数 bk_scope_type 不能为空"),
	"invalid-value":                   invalidCheck("status"),
	"invalid-value:status":            invalidCheck("status"),
	"invalid-value:launch_mode":       invalidCheck("launch_mode"),
	"invalid-value:type":              invalidCheck("type"),
	"invalid-value:bk_scope_type":     invalidCheck("bk_scope_type"),
	"app-no-permission": func(t *testing.T, a answer) {
		assertGateway(t, a, 403, 1640301, "APP_NO_PERMISSION")
	},
	"rate-limited":          rateCheck(1642902, "bk-stage-rate-limit"),
	"rate-limited:stage":    rateCheck(1642902, "bk-stage-rate-limit"),
	"rate-limited:resource": rateCheck(1642903, "bk-resource-rate-limit"),
	"bad-gateway": func(t *testing.T, a answer) {
		assertGateway(t, a, 502, 1650200, "BAD_GATEWAY")
	},
	"bad-gateway:closed": func(t *testing.T, a answer) {
		assertGateway(t, a, 502, 1650200, "BAD_GATEWAY")
	},
	"bad-gateway:failed": func(t *testing.T, a answer) {
		assertGateway(t, a, 502, 1650201, "ERROR_REQUESTING_RESOURCE")
	},
	"gateway-timeout": func(t *testing.T, a answer) {
		assertGateway(t, a, 504, 1650401, "REQUEST_BACKEND_TIMEOUT")
	},
	"empty": func(t *testing.T, a answer) {
		assert.Empty(t, list(t, a))
		assert.Contains(t, string(a.body), `"job_instance_list":[]`)
	},
	"running": func(t *testing.T, a answer) {
		assertRunning(t, list(t, a), 10, "biz:2")
	},
	"full-page": func(t *testing.T, a answer) {
		items := list(t, a)
		require.Len(t, items, 200)
		ids := map[int64]bool{}
		for i, it := range items {
			ids[num(it["job_instance_id"])] = true
			assert.Equal(t, "2", it["bk_scope_id"])
			assertInWindow(t, it)
			if i > 0 {
				assert.LessOrEqual(t, num(it["create_time"]), num(items[i-1]["create_time"]))
			}
		}
		assert.Len(t, ids, 200, "ids are distinct")
	},
	"latency:30ms":      okCheck,
	"latency:10ms-40ms": okCheck,
	"none":              okCheck,
	// Faults: their checks run over a real connection in TestFaults.
	"reset":          nil,
	"truncated":      nil,
	"malformed-json": nil,
	"hang:50ms":      nil,
}

func init() {
	for _, p := range []string{"create_time_end", "job_instance_id", "launch_mode", "type", "status", "job_cron_id", "offset", "length", "create_time_start"} {
		scenarioChecks["type-mismatch:"+p] = typeCheck(p)
	}
}

func okCheck(t *testing.T, a answer) {
	list(t, a)
}

func missingCheck(p string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		assertV4(t, a, wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + p + "]缺失", detailsCode: "1241004"})
	}
}

func typeCheck(p string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		assertV4(t, a, wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + p + "]类型错误", detailsCode: "1241020"})
	}
}

func bindCheck(p, detail string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		assertV4(t, a, wantV4{status: 400, code: "INVALID_ARGUMENT", message: "字段[getJobInstanceList." + p + "]绑定失败", detailsCode: "1241025", detailsMsg: detail})
	}
}

func invalidCheck(p string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		assertV4(t, a, wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + p + "]不合法", detailsCode: "1241005"})
	}
}

func rateCheck(code int, plugin string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		assertGateway(t, a, 429, code, "RATE_LIMIT_RESTRICTION")
		assert.Equal(t, plugin, a.header.Get("X-Bkapi-RateLimit-Plugin"))
		assert.Equal(t, "0", a.header.Get("X-Bkapi-RateLimit-Remaining"))
	}
}

var biz2 = "bk_scope_type=biz&bk_scope_id=2&" + window

// TestEveryScenarioByHeader sends each scenario of the catalog, in each of its
// forms, with X-Mock-Scenario; do checks every answer against openapi.yaml.
func TestEveryScenarioByHeader(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, spec := range specs(fetchCatalog(t, srv)) {
		check, ok := scenarioChecks[spec]
		require.True(t, ok, "scenario %q has no check in scenarioChecks", spec)
		if check == nil {
			continue
		}
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			check(t, get(t, srv, biz2, adminAuth, mock.ScenarioHeader, spec))
		})
	}
}

// TestEveryScenarioByAdmin switches each scenario on through the admin API,
// for one request, and checks the next answer.
func TestEveryScenarioByAdmin(t *testing.T) {
	t.Parallel()
	cat := fetchCatalog(t, newServer(t))
	for _, spec := range specs(cat) {
		check := scenarioChecks[spec]
		if check == nil {
			continue
		}
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			switchOn(t, srv, map[string]any{"scenario": spec, "count": 1})
			check(t, get(t, srv, biz2, adminAuth))
			if spec != "none" {
				assert.Equal(t, http.StatusOK, get(t, srv, biz2, adminAuth).status, "used up after one request")
			}
		})
	}
}

func TestScenarioNames(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cat := fetchCatalog(t, srv)
	spare := newServer(t)
	names := map[string]bool{}
	for _, e := range cat {
		assert.Regexp(t, `^[a-z]+(-[a-z]+)*$`, e.Name, "short kebab-case")
		assert.False(t, names[e.Name], "unique: %s", e.Name)
		names[e.Name] = true
		assert.NotEmpty(t, e.Summary)
		assert.Contains(t, []string{"answer", "delay", "fault"}, e.Slot)
		// The example parses (switched on in a throwaway server: nothing runs it).
		a := adminWrite(t, spare, http.MethodPost, "/__mock/scenarios", map[string]any{"scenario": e.Example})
		assert.Equal(t, http.StatusCreated, a.status, "example of %s: %s", e.Name, a.body)
	}
	for _, want := range []string{"no-permission", "scope-not-found", "internal-error", "missing-param", "type-mismatch", "out-of-range",
		"invalid-value", "app-no-permission", "rate-limited", "bad-gateway", "gateway-timeout", "empty", "running", "full-page",
		"latency", "reset", "truncated", "malformed-json", "hang"} {
		assert.True(t, names[want], "catalog lacks %s", want)
	}
}

// rawGet sends a request without checking the answer against the spec (the
// mock's own errors are not contract answers).
func rawGet(t *testing.T, srv *httptest.Server, query string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+bkjob.UserAPIPath+"?"+query, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

type mockErrorBody struct {
	MockError struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Valid   []string `json:"valid"`
	} `json:"mock_error"`
}

func TestBadScenarioHeader(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	t.Run("cases", func(t *testing.T) { testBadScenarioHeader(t, srv) })
	// The journal records the mock's 400.
	entries := journalEntries(t, srv, "status=400")
	require.NotEmpty(t, entries)
	assert.NotEmpty(t, entries[0].MockError)
	assert.NotEmpty(t, entries[0].ScenarioHeader)
	assert.Equal(t, "user", entries[0].API)
}

func testBadScenarioHeader(t *testing.T, srv *httptest.Server) {
	tests := []struct {
		header, code string
		mentions     []string
	}{
		{"no-such-thing", "UNKNOWN_SCENARIO", []string{`"no-such-thing"`, "no-permission", "gateway-timeout"}},
		{"latency:2s, bogus", "UNKNOWN_SCENARIO", []string{`"bogus"`}},
		{"missing-param:nope", "BAD_SCENARIO_ARGUMENT", []string{`"nope"`, "missing-param[:create_time_start|bk_scope_type|bk_scope_id|create_time_end]"}},
		{"latency", "BAD_SCENARIO_ARGUMENT", []string{"needs a duration"}},
		{"latency:soon", "BAD_SCENARIO_ARGUMENT", []string{"not a duration"}},
		{"latency:2s-1s", "BAD_SCENARIO_ARGUMENT", []string{"backwards"}},
		{"latency:1h", "BAD_SCENARIO_ARGUMENT", []string{"out of bounds"}},
		{"hang:10m", "BAD_SCENARIO_ARGUMENT", []string{"out of bounds"}},
		{"empty:yes", "BAD_SCENARIO_ARGUMENT", []string{"takes no argument"}},
		{"no-permission, gateway-timeout", "SCENARIO_CONFLICT", []string{"no-permission", "gateway-timeout", "answer"}},
		{"reset, hang", "SCENARIO_CONFLICT", []string{"fault"}},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			t.Parallel()
			a := rawGet(t, srv, biz2, map[string]string{"X-Bkapi-Authorization": adminAuth, mock.ScenarioHeader: tt.header})
			require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
			assert.Equal(t, tt.code, a.header.Get("X-Mock-Error"))
			var body mockErrorBody
			require.NoError(t, json.Unmarshal(a.body, &body), "%s", a.body)
			assert.Equal(t, tt.code, body.MockError.Code)
			assert.Contains(t, body.MockError.Message, mock.ScenarioHeader)
			for _, m := range tt.mentions {
				assert.Contains(t, body.MockError.Message, m)
			}
			if tt.code == "UNKNOWN_SCENARIO" {
				assert.Contains(t, body.MockError.Valid, "no-permission")
			}
		})
	}
}

func TestScenarioHeaderCombines(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := get(t, srv, biz2, adminAuth, mock.ScenarioHeader, "latency:60ms, no-permission")
	assertV4(t, a, wantV4{status: 403, code: "NO_PERMISSION", message: "用户(admin)权限不足，请前往权限中心确认并申请补充后重试", permissionFor: "2"})
	e := journalEntries(t, srv, "")[0]
	assert.GreaterOrEqual(t, e.DurationMS, 60.0, "the latency applies too")
	assert.ElementsMatch(t, []scenarioUse{{"latency:60ms", "header"}, {"no-permission", "header"}}, e.Scenarios)

	// Spaces, case and blank items are forgiven; repeated headers combine.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+bkjob.UserAPIPath+"?"+biz2, nil)
	req.Header.Set("X-Bkapi-Authorization", adminAuth)
	req.Header.Add(mock.ScenarioHeader, " Empty ,, ")
	req.Header.Add(mock.ScenarioHeader, "latency:1ms")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"job_instance_list":[]`)
}

// TestScenarioStages checks that each kind of scenario answers at the layer
// that would produce it: gateway authentication before any scenario error,
// contract errors before the service's checks, data shapes only when every
// check passes.
func TestScenarioStages(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	guest := `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"guest"}`
	tests := []struct {
		name, query, auth, scenario string
		status                      int
	}{
		{"gateway auth before a gateway scenario", biz2, "", "gateway-timeout", 400},
		{"gateway auth before a contract scenario", biz2, appOnlyAuth, "no-permission", 400},
		{"gateway scenario before the scope check", "bk_scope_type=biz&bk_scope_id=999&" + window, adminAuth, "rate-limited", 429},
		{"contract scenario before the scope check", "bk_scope_type=biz&bk_scope_id=999&" + window, adminAuth, "internal-error", 500},
		{"contract scenario before validation", "bk_scope_type=biz&bk_scope_id=2&length=x", adminAuth, "scope-not-found", 404},
		{"no-permission for a user who has it", biz2, adminAuth, "no-permission", 403},
		{"data shape after the permission check", biz2, guest, "full-page", 403},
		{"data shape after the scope check", "bk_scope_type=biz&bk_scope_id=999&" + window, adminAuth, "running", 404},
		{"data shape after validation", biz2 + "&length=0", adminAuth, "empty", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := get(t, srv, tt.query, tt.auth, mock.ScenarioHeader, tt.scenario)
			assert.Equal(t, tt.status, a.status, "%s", a.body)
		})
	}
}

func TestScenarioDetails(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	t.Run("no-permission names a business set and its name", func(t *testing.T) {
		a := get(t, srv, "bk_scope_type=biz_set&bk_scope_id=9991001&"+window, zhangsanAuth, mock.ScenarioHeader, "no-permission")
		require.Equal(t, 403, a.status)
		assert.Contains(t, string(a.body), `"type":"business_set"`)
		assert.Contains(t, string(a.body), `"id":"9991001"`)
	})
	t.Run("no-permission on the system API names the app", func(t *testing.T) {
		a := do(t, srv, http.MethodGet, bkjob.SystemAPIPath, biz2, map[string]string{"X-Bkapi-Authorization": appOnlyAuth, mock.ScenarioHeader: "no-permission"})
		require.Equal(t, 403, a.status)
		assert.Contains(t, string(a.body), "用户(demo)")
	})
	t.Run("English", func(t *testing.T) {
		a := get(t, srv, biz2, adminAuth, mock.ScenarioHeader, "out-of-range:length", "Blueking-Language", "en")
		assertV4(t, a, wantV4{status: 400, code: "INVALID_ARGUMENT", message: "Fields [getJobInstanceList.length] bind failed", detailsCode: "1241025", detailsMsg: "The param 'length' must be in range: [1,200]"})
	})
	t.Run("running keeps the page size and filters", func(t *testing.T) {
		assertRunning(t, list(t, get(t, srv, biz2+"&length=3&status=3", adminAuth, mock.ScenarioHeader, "running")), 3, "biz:2")
		assertRunning(t, list(t, get(t, srv, "bk_scope_type=biz_set&bk_scope_id=9991001&"+window+"&length=25", adminAuth, mock.ScenarioHeader, "running")), 25, "biz_set:9991001")
	})
	t.Run("full-page whatever the length", func(t *testing.T) {
		assert.Len(t, list(t, get(t, srv, biz2+"&length=1", adminAuth, mock.ScenarioHeader, "full-page")), 200)
	})
	t.Run("made-up tasks stay in an archived window", func(t *testing.T) {
		start, end := pinnedNow.AddDate(-1, 0, -1).UnixMilli(), pinnedNow.AddDate(-1, 0, 0).UnixMilli()
		items := list(t, get(t, srv, "bk_scope_type=biz&bk_scope_id=3&create_time_start="+itoa(start)+"&create_time_end="+itoa(end), adminAuth, mock.ScenarioHeader, "full-page"))
		require.Len(t, items, 200)
		for _, it := range items {
			assert.GreaterOrEqual(t, num(it["create_time"]), start)
			assert.LessOrEqual(t, num(it["create_time"]), end)
		}
	})
	t.Run("data shapes are deterministic", func(t *testing.T) {
		for _, sc := range []string{"running", "full-page"} {
			a1 := get(t, srv, biz2, adminAuth, mock.ScenarioHeader, sc)
			a2 := get(t, newServer(t), biz2, adminAuth, mock.ScenarioHeader, sc)
			assert.Equal(t, a1.body, a2.body, sc)
		}
	})
	t.Run("on the base path too", func(t *testing.T) {
		bp := newServer(t, func(c *mock.Config) { c.BasePath = "/prod" })
		a := do(t, bp, http.MethodGet, "/prod"+bkjob.UserAPIPath, biz2, map[string]string{"X-Bkapi-Authorization": adminAuth, mock.ScenarioHeader: "gateway-timeout"})
		assert.Equal(t, 504, a.status)
	})
	t.Run("not on unknown paths", func(t *testing.T) {
		a := do(t, srv, http.MethodGet, "/api/v4/nope", "", map[string]string{"X-Bkapi-Authorization": adminAuth, mock.ScenarioHeader: "gateway-timeout"})
		assert.Equal(t, 404, a.status)
	})
}

// switchOn posts an activation and returns its id.
func switchOn(t *testing.T, srv *httptest.Server, body map[string]any) int {
	t.Helper()
	a := adminWrite(t, srv, http.MethodPost, "/__mock/scenarios", body)
	require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
	var v struct {
		ID int `json:"id"`
	}
	require.NoError(t, json.Unmarshal(a.body, &v))
	return v.ID
}

// adminWrite sends an admin API write as the page does.
func adminWrite(t *testing.T, srv *httptest.Server, method, path string, body any, header ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestAdminScenarios(t *testing.T) {
	t.Parallel()
	t.Run("until cleared", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		id := switchOn(t, srv, map[string]any{"scenario": "gateway-timeout"})
		for range 3 {
			assert.Equal(t, 504, get(t, srv, biz2, adminAuth).status)
		}
		a := adminWrite(t, srv, http.MethodDelete, "/__mock/scenarios/"+itoa(int64(id)), nil)
		assert.Equal(t, http.StatusNoContent, a.status)
		assert.Equal(t, 200, get(t, srv, biz2, adminAuth).status)
		assert.Equal(t, http.StatusNotFound, adminWrite(t, srv, http.MethodDelete, "/__mock/scenarios/"+itoa(int64(id)), nil).status)
	})
	t.Run("for the next N requests", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		switchOn(t, srv, map[string]any{"scenario": "internal-error", "count": 2})
		active := activeScenarios(t, srv)
		require.Len(t, active, 1)
		assert.EqualValues(t, 2, active[0]["remaining"])
		assert.Equal(t, 500, get(t, srv, biz2, adminAuth).status)
		assert.Equal(t, 500, get(t, srv, biz2, adminAuth).status)
		assert.Equal(t, 200, get(t, srv, biz2, adminAuth).status)
		assert.Empty(t, activeScenarios(t, srv), "used up")
	})
	t.Run("for T seconds", func(t *testing.T) {
		t.Parallel()
		m := newHandler(t).(*mock.Server)
		var wall atomic.Int64
		wall.Store(pinnedNow.UnixNano())
		mock.SetWallClock(m, func() time.Time { return time.Unix(0, wall.Load()) })
		srv := httptest.NewServer(m)
		t.Cleanup(srv.Close)
		switchOn(t, srv, map[string]any{"scenario": "bad-gateway", "seconds": 30})
		assert.Equal(t, 502, get(t, srv, biz2, adminAuth).status)
		wall.Add(int64(29 * time.Second))
		assert.Equal(t, 502, get(t, srv, biz2, adminAuth).status, "still inside its 30 s")
		wall.Add(int64(time.Second))
		assert.Equal(t, 200, get(t, srv, biz2, adminAuth).status, "30 s after it was switched on")
		assert.Empty(t, activeScenarios(t, srv))
	})
	t.Run("only one scope", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		switchOn(t, srv, map[string]any{"scenario": "full-page", "scope": "biz:3", "count": 1})
		assert.LessOrEqual(t, len(list(t, get(t, srv, biz2, adminAuth))), 10, "biz 2 is not concerned")
		assert.Len(t, list(t, get(t, srv, "bk_scope_type=biz&bk_scope_id=3&"+window, adminAuth)), 200)
	})
	t.Run("only one user", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		switchOn(t, srv, map[string]any{"scenario": "scope-not-found", "user": "zhangsan"})
		assert.Equal(t, 200, get(t, srv, biz2, adminAuth).status)
		assert.Equal(t, 404, get(t, srv, biz2, zhangsanAuth).status)
		tokenAuth := `{"bk_app_code":"demo","bk_app_secret":"s","bk_token":"token-zhangsan"}`
		assert.Equal(t, 404, get(t, srv, biz2, tokenAuth).status, "the user a token stands for")
	})
	t.Run("clear all", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		switchOn(t, srv, map[string]any{"scenario": "gateway-timeout"})
		switchOn(t, srv, map[string]any{"scenario": "latency:1ms"})
		require.Len(t, activeScenarios(t, srv), 2)
		assert.Equal(t, http.StatusNoContent, adminWrite(t, srv, http.MethodDelete, "/__mock/scenarios", nil).status)
		assert.Empty(t, activeScenarios(t, srv))
		assert.Equal(t, 200, get(t, srv, biz2, adminAuth).status)
	})
	t.Run("bad requests", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		for _, tt := range []struct {
			body any
			code string
		}{
			{map[string]any{"scenario": "nope"}, "UNKNOWN_SCENARIO"},
			{map[string]any{"scenario": ""}, "UNKNOWN_SCENARIO"},
			{map[string]any{"scenario": "empty", "cout": 1}, "BAD_REQUEST"},
			{map[string]any{"scenario": "empty", "count": -1}, "BAD_REQUEST"},
			{map[string]any{"scenario": "empty", "scope": "2"}, "BAD_REQUEST"},
			{map[string]any{"scenario": "empty, running"}, "SCENARIO_CONFLICT"},
			{"not an object", "BAD_REQUEST"},
		} {
			a := adminWrite(t, srv, http.MethodPost, "/__mock/scenarios", tt.body)
			assert.Equal(t, http.StatusBadRequest, a.status, "%v: %s", tt.body, a.body)
			assert.Equal(t, tt.code, a.header.Get("X-Mock-Error"), "%v", tt.body)
		}
		a := adminWrite(t, srv, http.MethodPost, "/__mock/scenarios", map[string]any{"scenario": "empty"}, "Content-Type", "text/plain")
		assert.Equal(t, http.StatusUnsupportedMediaType, a.status)
		assert.Empty(t, activeScenarios(t, srv))
	})
}

func activeScenarios(t *testing.T, srv *httptest.Server) []map[string]any {
	t.Helper()
	a := do(t, srv, http.MethodGet, "/__mock/scenarios", "", nil)
	require.Equal(t, http.StatusOK, a.status)
	var body struct {
		Active []map[string]any `json:"active"`
	}
	require.NoError(t, json.Unmarshal(a.body, &body))
	return body.Active
}

// TestPrecedence: per slot, the header wins over the admin API, which wins
// over the fixtures rules (see TestFixtureRules); the newest admin scenario
// wins over older ones; none claims the free slots.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	switchOn(t, srv, map[string]any{"scenario": "no-permission, latency:40ms"})
	switchOn(t, srv, map[string]any{"scenario": "truncated", "user": "nobody"})

	a := get(t, srv, biz2, adminAuth)
	assert.Equal(t, 403, a.status, "admin")
	a = get(t, srv, biz2, adminAuth, mock.ScenarioHeader, "empty")
	assert.Empty(t, list(t, a), "the header wins the answer slot")
	e := journalEntries(t, srv, "limit=1")[0]
	assert.ElementsMatch(t, []scenarioUse{{"empty", "header"}, {"latency:40ms", "admin:1"}}, e.Scenarios, "the admin latency still applies")
	assert.GreaterOrEqual(t, e.DurationMS, 40.0)

	a = get(t, srv, biz2, adminAuth, mock.ScenarioHeader, "none")
	assert.Equal(t, 200, a.status, "none: the real answer")
	e = journalEntries(t, srv, "limit=1")[0]
	assert.Empty(t, e.Scenarios, "none claims the delay slot too: no admin latency")

	a = get(t, srv, biz2, adminAuth, mock.ScenarioHeader, "latency:1ms")
	assert.Equal(t, 403, a.status, "a header latency leaves the admin answer")

	a = get(t, srv, biz2, adminAuth, mock.ScenarioHeader, "none, latency:1ms")
	assert.Equal(t, 200, a.status)
	e = journalEntries(t, srv, "limit=1")[0]
	assert.Equal(t, []scenarioUse{{"latency:1ms", "header"}}, e.Scenarios, "none leaves what the header names beside it")

	switchOn(t, srv, map[string]any{"scenario": "internal-error"})
	assert.Equal(t, 500, get(t, srv, biz2, adminAuth).status, "the newest admin scenario wins")
	e = journalEntries(t, srv, "limit=1")[0]
	assert.ElementsMatch(t, []scenarioUse{{"internal-error", "admin:3"}, {"latency:40ms", "admin:1"}}, e.Scenarios)
}

func TestCatalogInReadme(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	want := catalogTable(fetchCatalog(t, srv))
	for _, file := range []string{"../docs/scenarios.md"} {
		b, err := readFile(file)
		require.NoError(t, err)
		text := string(b)
		start, end := strings.Index(text, catalogBegin), strings.Index(text, catalogEnd)
		require.True(t, start >= 0 && end > start, "%s has no scenario table markers", file)
		if *updateReadme {
			text = text[:start+len(catalogBegin)] + "\n" + want + text[end:]
			require.NoError(t, writeFile(file, []byte(text)))
			continue
		}
		assert.Equal(t, want, text[start+len(catalogBegin)+1:end], "%s: the scenario table differs from the catalog; run go test ./mock -run CatalogInReadme -update-readme", file)
	}
}

const (
	catalogBegin = "<!-- scenarios:begin (go test ./mock -run CatalogInReadme -update-readme) -->"
	catalogEnd   = "<!-- scenarios:end -->"
)

// catalogTable renders the catalog as the Markdown table of docs/scenarios.md.
func catalogTable(cat []catalogEntry) string {
	var b strings.Builder
	b.WriteString("| scenario | kind | status | what it does | example |\n|---|---|---|---|---|\n")
	for _, e := range cat {
		status := "—"
		if e.Status != 0 {
			status = itoa(int64(e.Status))
		}
		esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
		b.WriteString("| `" + esc(e.Syntax) + "` | " + e.Group + " | " + status + " | " + esc(e.Summary) + " | `" + esc(e.Example) + "` |\n")
	}
	return b.String()
}
