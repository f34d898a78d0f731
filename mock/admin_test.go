package mock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// newHandler builds a mock with the default fixtures at pinnedNow.
func newHandler(t testing.TB, modify ...func(*mock.Config)) http.Handler {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	cfg := mock.Config{Fixtures: fx, Seed: 1, Now: func() time.Time { return pinnedNow }, JournalSize: mock.DefaultJournalSize}
	for _, m := range modify {
		m(&cfg)
	}
	h, err := mock.New(cfg)
	require.NoError(t, err)
	return h
}

// TestAdminWriteRule calls the handler directly to play clients from any
// address: writes only from loopback unless a token is set, then only with it;
// never cross-origin; reads from anywhere.
func TestAdminWriteRule(t *testing.T) {
	t.Parallel()
	open, locked := newHandler(t), newHandler(t, func(c *mock.Config) { c.AdminToken = "s3cr3t-admin" })
	const body = `{"scenario":"empty"}`
	tests := []struct {
		name       string
		h          http.Handler
		method     string
		path       string
		remote     string
		host       string
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{"loopback v4 may write", open, "POST", "/__mock/scenarios", "127.0.0.1:5000", "127.0.0.1:8080", nil, 201, ""},
		{"loopback v6 may write", open, "POST", "/__mock/scenarios", "[::1]:5000", "localhost:8080", nil, 201, ""},
		{"another host may not write", open, "POST", "/__mock/scenarios", "10.1.2.3:5000", "10.0.0.1:8080", nil, 403, "LOOPBACK_ONLY"},
		{"another host may not clear", open, "DELETE", "/__mock/requests", "192.168.1.9:5000", "10.0.0.1:8080", nil, 403, "LOOPBACK_ONLY"},
		{"another host may read", open, "GET", "/__mock/requests", "10.1.2.3:5000", "10.0.0.1:8080", nil, 200, ""},
		{"DNS rebinding: loopback client, foreign host name", open, "POST", "/__mock/scenarios", "127.0.0.1:5000", "evil.example:8080", nil, 403, "LOOPBACK_ONLY"},
		{"cross-origin write", open, "POST", "/__mock/scenarios", "127.0.0.1:5000", "127.0.0.1:8080", map[string]string{"Origin": "http://localhost:3000"}, 403, "CROSS_ORIGIN"},
		{"cross-site fetch metadata", open, "DELETE", "/__mock/scenarios", "127.0.0.1:5000", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "CROSS_ORIGIN"},
		{"same-origin write", open, "POST", "/__mock/scenarios", "127.0.0.1:5000", "127.0.0.1:8080", map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, 201, ""},
		{"token: another host with Bearer", locked, "POST", "/__mock/scenarios", "10.1.2.3:5000", "mock.example:8080", map[string]string{"Authorization": "Bearer s3cr3t-admin"}, 201, ""},
		{"token: another host with the header", locked, "DELETE", "/__mock/scenarios", "10.1.2.3:5000", "mock.example:8080", map[string]string{"X-Mock-Admin-Token": "s3cr3t-admin"}, 204, ""},
		{"token: wrong token", locked, "POST", "/__mock/scenarios", "10.1.2.3:5000", "mock.example:8080", map[string]string{"Authorization": "Bearer nope"}, 401, "ADMIN_TOKEN_REQUIRED"},
		{"token: loopback needs it too", locked, "POST", "/__mock/scenarios", "127.0.0.1:5000", "127.0.0.1:8080", nil, 401, "ADMIN_TOKEN_REQUIRED"},
		{"token: still no cross-origin", locked, "POST", "/__mock/scenarios", "10.1.2.3:5000", "mock.example:8080", map[string]string{"Authorization": "Bearer s3cr3t-admin", "Origin": "http://evil.example"}, 403, "CROSS_ORIGIN"},
		{"token: reads by IP need none", locked, "GET", "/__mock/scenarios", "10.1.2.3:5000", "10.0.0.1:8080", nil, 200, ""},
		{"token: a named host reads with it", locked, "GET", "/__mock/requests", "10.1.2.3:5000", "mock.example:8080", map[string]string{"Authorization": "Bearer s3cr3t-admin"}, 200, ""},
		{"token: a named host reads not without it", locked, "GET", "/__mock/requests.har", "10.1.2.3:5000", "mock.example:8080", nil, 403, "HOST_NOT_ALLOWED"},
		{"DNS rebinding: no journal read", open, "GET", "/__mock/requests", "127.0.0.1:5000", "evil.example:8080", nil, 403, "HOST_NOT_ALLOWED"},
		{"DNS rebinding: no HAR", open, "GET", "/__mock/requests.har", "127.0.0.1:5000", "evil.example", nil, 403, "HOST_NOT_ALLOWED"},
		{"DNS rebinding: no config", open, "GET", "/__mock/config", "127.0.0.1:5000", "evil.example:8080", nil, 403, "HOST_NOT_ALLOWED"},
		{"any host: health", open, "GET", "/__mock/health", "10.1.2.3:5000", "mock.example:8080", nil, 200, ""},
		{"localhost reads", open, "GET", "/__mock/requests", "127.0.0.1:5000", "localhost:8080", nil, 200, ""},
		{"IPv6 literal reads", open, "GET", "/__mock/requests", "[::1]:5000", "[::1]:8080", nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var req *http.Request
			if tt.method == "POST" {
				req = httptest.NewRequest(tt.method, tt.path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
			} else {
				req = httptest.NewRequest(tt.method, tt.path, nil)
			}
			req.RemoteAddr, req.Host = tt.remote, tt.host
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			assert.Equal(t, tt.wantStatus, rec.Code, "%s", rec.Body)
			assert.Equal(t, tt.wantCode, rec.Header().Get("X-Mock-Error"))
		})
	}
}

// TestAdminCORS: with --cors-origin, a page of that origin may read the admin
// API but a preflight never allows a write, and a write is refused anyway.
func TestAdminCORS(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *mock.Config) { c.CORSOrigin = "http://localhost:3000" })
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/__mock/scenarios", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.NotContains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	assert.NotContains(t, resp.Header.Get("Access-Control-Allow-Methods"), "DELETE")

	a := adminWrite(t, srv, http.MethodPost, "/__mock/scenarios", map[string]any{"scenario": "empty"}, "Origin", "http://localhost:3000")
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Empty(t, activeScenarios(t, srv))

	r := do(t, srv, http.MethodGet, "/__mock/requests", "", map[string]string{"Origin": "http://localhost:3000"})
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "http://localhost:3000", r.header.Get("Access-Control-Allow-Origin"))
}

// TestCORSFrontend: a frontend on another origin can call the API through
// the mock as through the gateway: preflight answered for GET with the
// X-Bkapi-* headers and Content-Type, error headers readable.
func TestCORSFrontend(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *mock.Config) {
		c.CORSOrigin = "http://localhost:3000, http://127.0.0.1:5173"
		c.BasePath = "/prod"
	})
	for _, path := range []string{bkjob.UserAPIPath, "/prod" + bkjob.UserAPIPath, "/prod" + bkjob.SystemAPIPath} {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+path, nil)
		req.Header.Set("Origin", "http://127.0.0.1:5173")
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "x-bkapi-authorization,content-type,x-bkapi-trace,x-mock-scenario,blueking-language")
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNoContent, resp.StatusCode, path)
		assert.Equal(t, "http://127.0.0.1:5173", resp.Header.Get("Access-Control-Allow-Origin"))
		allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"x-bkapi-authorization", "content-type", "x-bkapi-trace", "x-mock-scenario", "blueking-language"} {
			assert.Contains(t, allowed, h, path)
		}
		assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "GET")
		assert.Contains(t, resp.Header.Values("Vary"), "Origin")
	}
	a := do(t, srv, http.MethodGet, "/prod"+bkjob.UserAPIPath, biz2, map[string]string{
		"X-Bkapi-Authorization": adminAuth, "Origin": "http://localhost:3000", mock.ScenarioHeader: "rate-limited",
	})
	assert.Equal(t, 429, a.status)
	assert.Equal(t, "http://localhost:3000", a.header.Get("Access-Control-Allow-Origin"))
	exposed := a.header.Get("Access-Control-Expose-Headers")
	for _, h := range []string{"X-Bkapi-Error-Code", "X-Bkapi-Error-Message", "X-Bkapi-RateLimit-Remaining"} {
		assert.Contains(t, exposed, h)
	}
}

func TestAdminReads(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	t.Run("config", func(t *testing.T) {
		a := do(t, srv, http.MethodGet, "/__mock/config", "", nil)
		require.Equal(t, 200, a.status)
		var c struct {
			Seed     int64  `json:"seed"`
			Now      string `json:"now"`
			NowMS    int64  `json:"now_ms"`
			Fixtures struct {
				Source string `json:"source"`
				Scopes []struct {
					Scope string `json:"scope"`
					Name  string `json:"name"`
				} `json:"scopes"`
				Users []struct {
					Name string `json:"name"`
				} `json:"users"`
			} `json:"fixtures"`
			History struct {
				MaxBytes    int64  `json:"max_bytes"`
				Bytes       int64  `json:"bytes"`
				Days        int    `json:"days"`
				Tasks       int64  `json:"tasks"`
				QueryBudget string `json:"query_budget"`
			} `json:"history"`
		}
		require.NoError(t, json.Unmarshal(get(t, srv, "bk_scope_type=biz&bk_scope_id=2&"+window, adminAuth).body, new(any)))
		a = do(t, srv, http.MethodGet, "/__mock/config", "", nil)
		require.NoError(t, json.Unmarshal(a.body, &c))
		assert.Equal(t, "10s", c.History.QueryBudget)
		assert.Greater(t, c.History.MaxBytes, int64(10<<20), "the default fixtures: about 12.8 MiB")
		assert.GreaterOrEqual(t, c.History.Days, 1, "the newest day of biz 2, read above")
		assert.Equal(t, c.History.Tasks*40, c.History.Bytes)
		assert.Less(t, c.History.Bytes, c.History.MaxBytes)
		assert.EqualValues(t, 1, c.Seed)
		assert.Equal(t, pinnedNow.UnixMilli(), c.NowMS)
		assert.Equal(t, fixtures.DefaultName, c.Fixtures.Source)
		assert.NotEmpty(t, c.Fixtures.Scopes)
		assert.NotEmpty(t, c.Fixtures.Users)
		assert.NotContains(t, string(a.body), "token-admin", "no secrets")
	})
	t.Run("page", func(t *testing.T) {
		for path, ctype := range map[string]string{"/__mock/": "text/html", "/__mock/admin.js": "text/javascript", "/__mock/admin.css": "text/css"} {
			a := do(t, srv, http.MethodGet, path, "", nil)
			require.Equal(t, 200, a.status, path)
			assert.True(t, strings.HasPrefix(a.header.Get("Content-Type"), ctype), "%s: %s", path, a.header.Get("Content-Type"))
			assert.NotEmpty(t, a.body)
		}
		a := do(t, srv, http.MethodGet, "/__mock/", "", nil)
		assert.Contains(t, string(a.body), `id="seed"`)
		assert.Contains(t, a.header.Get("Content-Security-Policy"), "default-src 'self'")
		resp, err := srv.Client().Get(srv.URL + "/__mock")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, srv.URL+"/__mock/", resp.Request.URL.String(), "redirected")
	})
	t.Run("unknown admin path", func(t *testing.T) {
		a := do(t, srv, http.MethodGet, "/__mock/nope", "", nil)
		assert.Equal(t, 404, a.status)
		assert.Contains(t, string(a.body), `"mock_error"`)
	})
	t.Run("catalog and precedence", func(t *testing.T) {
		a := do(t, srv, http.MethodGet, "/__mock/scenarios/catalog", "", nil)
		assert.Contains(t, string(a.body), `"precedence"`)
		assert.Contains(t, string(a.body), `"header":"X-Mock-Scenario"`)
	})
}

func TestAdminData(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := do(t, srv, http.MethodGet, "/__mock/data", "bk_scope_type=biz&bk_scope_id=3&length=5&operator=", nil)
	require.Equal(t, 200, a.status, "%s", a.body)
	api := get(t, srv, "bk_scope_type=biz&bk_scope_id=3&"+window+"&length=5", adminAuth)
	assert.Equal(t, api.json(t)["data"], a.json(t)["data"], "the same data as the API, without auth")

	a = do(t, srv, http.MethodGet, "/__mock/data", "", nil)
	assert.Equal(t, 200, a.status, "defaults: first scope, 30 days")

	a = do(t, srv, http.MethodGet, "/__mock/data", "bk_scope_type=biz&bk_scope_id=2&length=500&status=12", nil)
	assert.Equal(t, 400, a.status)
	assert.Contains(t, string(a.body), "length")
	assert.Contains(t, string(a.body), "status", "every problem")
	a = do(t, srv, http.MethodGet, "/__mock/data", "bk_scope_type=biz&bk_scope_id=999", nil)
	assert.Equal(t, 404, a.status)
	assert.Empty(t, journalEntries(t, srv, "scope=biz:999"), "the data browser is not journaled")
}
