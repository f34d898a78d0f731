package mock_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// TestGatewayHeaders: what the API gateway SDKs read from every response.
// Every answer carries X-Bkapi-Request-Id, unique per exchange; an answer of
// the gateway itself (legacy envelope) carries X-Bkapi-Error-Code and
// X-Bkapi-Error-Message equal to its body's code and message; an answer
// passed through from bk-job (success or v4 error) carries neither, which is
// how the SDKs tell the two apart.
func TestGatewayHeaders(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *mock.Config) { c.CORSOrigin = "http://localhost:3000" })
	biz2 := "bk_scope_type=biz&bk_scope_id=2&" + window
	type req struct {
		name, method, path, query string
		header                    map[string]string
		gateway                   bool // the gateway's own answer
	}
	auth := map[string]string{"X-Bkapi-Authorization": adminAuth}
	with := func(k, v string) map[string]string {
		return map[string]string{"X-Bkapi-Authorization": adminAuth, k: v}
	}
	reqs := []req{
		{"success", "GET", bkjob.UserAPIPath, biz2, auth, false},
		{"system API", "GET", bkjob.SystemAPIPath, biz2, map[string]string{"X-Bkapi-Authorization": appOnlyAuth}, false},
		{"v4 400", "GET", bkjob.UserAPIPath, biz2 + "&length=0", auth, false},
		{"v4 403", "GET", bkjob.UserAPIPath, "bk_scope_type=biz&bk_scope_id=3&" + window, map[string]string{"X-Bkapi-Authorization": zhangsanAuth}, false},
		{"v4 404", "GET", bkjob.UserAPIPath, "bk_scope_type=biz&bk_scope_id=999&" + window, auth, false},
		{"gateway 400: no auth", "GET", bkjob.UserAPIPath, biz2, nil, true},
		{"gateway 400: not JSON", "GET", bkjob.UserAPIPath, biz2, map[string]string{"X-Bkapi-Authorization": "{"}, true},
		{"gateway 404: method", "POST", bkjob.UserAPIPath, biz2, auth, true},
		{"gateway 404: path", "GET", "/api/v4/get_job_instance_lists", biz2, auth, true},
		{"gateway 404: path with a newline and UTF-8", "GET", "/api/v4/%0A%E4%BD%9C%E4%B8%9A", "", auth, true},
		{"CORS preflight", "OPTIONS", bkjob.UserAPIPath, "", map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"}, false},
		{"CORS preflight refused", "OPTIONS", bkjob.UserAPIPath, "", map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"}, false},
		{"admin health", "GET", "/__mock/health", "", nil, false},
		{"admin read", "GET", "/__mock/config", "", nil, false},
		{"admin 404", "GET", "/__mock/nothing", "", nil, false},
	}
	cat := fetchCatalog(t, srv)
	gatewayScenario := map[string]bool{}
	for _, e := range cat {
		gatewayScenario[e.Name] = e.Group == "gateway error"
	}
	for _, spec := range specs(cat) {
		name, _, _ := strings.Cut(spec, ":")
		switch name {
		case "reset", "hang", "truncated", "malformed-json":
			continue // no answer, or a broken one: below
		}
		reqs = append(reqs, req{"scenario " + spec, "GET", bkjob.UserAPIPath, biz2, with(mock.ScenarioHeader, spec), gatewayScenario[name]})
	}

	seen := map[string]string{}
	for _, r := range reqs {
		a := do(t, srv, r.method, r.path, r.query, r.header)
		id := a.header.Get("X-Bkapi-Request-Id")
		if assert.Regexp(t, hex32, id, "%s: %d %s", r.name, a.status, a.body) {
			assert.NotContains(t, seen, id, "%s: the id of %q again", r.name, seen[id])
			seen[id] = r.name
		}
		code, msg := a.header.Get("X-Bkapi-Error-Code"), a.header.Get("X-Bkapi-Error-Message")
		if !r.gateway {
			assert.Empty(t, code, "%s: X-Bkapi-Error-Code on an answer the gateway passed through", r.name)
			assert.Empty(t, msg, "%s: X-Bkapi-Error-Message on an answer the gateway passed through", r.name)
			continue
		}
		var body struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		require.NoError(t, json.Unmarshal(a.body, &body), "%s: %s", r.name, a.body)
		assert.Equal(t, strconv.Itoa(body.Code), code, r.name)
		assert.Equal(t, body.Message, msg, r.name)
	}

	// Broken answers still come with their headers.
	for _, spec := range []string{"truncated", "malformed-json"} {
		resp, _, _ := send(t, srv, spec, 0)
		require.NotNil(t, resp, spec)
		assert.Regexp(t, hex32, resp.Header.Get("X-Bkapi-Request-Id"), spec)
	}
}
