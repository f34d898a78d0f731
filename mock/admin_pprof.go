package mock

import (
	"net/http"
	"net/http/pprof"
)

// pprofPrefix is where Config.Pprof serves net/http/pprof.
const pprofPrefix = adminPrefix + "/debug/pprof/"

// handlePprof serves net/http/pprof under /__mock/debug/pprof/ (index,
// profile, heap, allocs, trace, ...) to loopback clients only: profiles show
// the process's memory and stacks. Others get a 403.
func handlePprof() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index) // the named profiles too: heap, allocs, goroutine, ...
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	h := http.StripPrefix(adminPrefix, m) // pprof.Index finds the profile's name after /debug/pprof/
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) {
			writeMockError(w, &mockError{status: http.StatusForbidden, Code: "LOOPBACK_ONLY",
				Message: "the profiles under " + pprofPrefix + " are served to loopback clients only"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// handlePprofOff answers under /__mock/debug/pprof/ when --pprof is off.
func handlePprofOff() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeMockError(w, mockNotFound("profiling is off; start the mock with --pprof (or BKJOB_MOCK_PPROF=true) to serve net/http/pprof under %s", pprofPrefix))
	})
}
