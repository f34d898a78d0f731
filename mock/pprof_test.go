package mock_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bkjob-mock/bkjob-mock/mock"
)

// TestPprof plays clients from any address: with Config.Pprof the profiles
// are served to loopback clients only; without, the paths are a 404.
func TestPprof(t *testing.T) {
	t.Parallel()
	on, off := newHandler(t, func(c *mock.Config) { c.Pprof = true }), newHandler(t)
	for _, tc := range []struct {
		name       string
		h          http.Handler
		path       string
		remote     string
		wantStatus int
		wantBody   string
	}{
		{"index", on, "/__mock/debug/pprof/", "127.0.0.1:5000", 200, "allocs"},
		{"a named profile", on, "/__mock/debug/pprof/goroutine?debug=1", "[::1]:5000", 200, "goroutine profile:"},
		{"heap", on, "/__mock/debug/pprof/heap?debug=1", "127.0.0.1:5000", 200, "heap profile:"},
		{"cmdline", on, "/__mock/debug/pprof/cmdline", "127.0.0.1:5000", 200, ""},
		{"symbol", on, "/__mock/debug/pprof/symbol", "127.0.0.1:5000", 200, "num_symbols"},
		{"unknown profile", on, "/__mock/debug/pprof/nope", "127.0.0.1:5000", 404, "Unknown profile"},
		{"another host", on, "/__mock/debug/pprof/", "10.1.2.3:5000", 403, "LOOPBACK_ONLY"},
		{"another host, a profile", on, "/__mock/debug/pprof/heap", "192.168.1.9:5000", 403, "LOOPBACK_ONLY"},
		{"off", off, "/__mock/debug/pprof/", "127.0.0.1:5000", 404, "start the mock with --pprof"},
		{"off, a profile", off, "/__mock/debug/pprof/heap", "127.0.0.1:5000", 404, "start the mock with --pprof"},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.RemoteAddr, req.Host = tc.remote, "127.0.0.1:8080"
		rec := httptest.NewRecorder()
		tc.h.ServeHTTP(rec, req)
		assert.Equal(t, tc.wantStatus, rec.Code, "%s: %s", tc.name, rec.Body)
		assert.Contains(t, rec.Body.String(), tc.wantBody, tc.name)
	}
}
