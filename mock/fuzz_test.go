package mock_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// FuzzRequest sends arbitrary query strings and auth headers to the mock:
// it must never panic, never answer 5xx (outside --quirks), and every answer
// must match openapi.yaml. Run: make fuzz (FUZZTIME=5m).
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct{ query, auth string }{
		{"bk_scope_type=biz&bk_scope_id=2&" + window, adminAuth},
		{"bk_scope_type=biz&bk_scope_id=2&" + window + "&name=%25_%25&operator=ADMIN&ip=10.0.2.11&status=3&type=0&launch_mode=3&job_cron_id=1&offset=5&length=200", adminAuth},
		{"bk_scope_type=biz&bk_scope_id=3&length=x", zhangsanAuth},
		{"bk_scope_type=biz_set&bk_scope_id=9991001&job_instance_id=20000000001&" + window, adminAuth},
		{"bk_scope_type=%ZZ&length=%", `{"bk_app_code":1}`},
		{"create_time_start=-9223372036854775808&create_time_end=9223372036854775807&bk_scope_type=biz&bk_scope_id=2", `[]`},
		{"", ""},
	} {
		f.Add(seed.query, seed.auth, false)
		f.Add(seed.query, seed.auth, true)
	}
	srv := newServer(f)
	f.Fuzz(func(t *testing.T, query, auth string, system bool) {
		if strings.ContainsAny(auth, "\r\n\x00") {
			return // not a header value a client can send
		}
		path := bkjob.UserAPIPath
		if system {
			path = bkjob.SystemAPIPath
		}
		req := httptest.NewRequest(http.MethodGet, "http://mock"+path, nil)
		req.URL.RawQuery = query
		if auth != "" {
			req.Header.Set("X-Bkapi-Authorization", auth)
		}
		rec := httptest.NewRecorder()
		srv.Config.Handler.ServeHTTP(rec, req)
		a := answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		assert.Less(t, a.status, 500, "query %q auth %q → %s", query, auth, a.body)
		checkAgainstSpec(t, req, a)
	})
}
