package mock

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// statusRecorder remembers the status a handler wrote, for the log of admin
// requests (API requests have their exchange's answerWriter).
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (sr *statusRecorder) WriteHeader(code int) {
	if sr.status == 0 {
		sr.status = code
	}
	sr.ResponseWriter.WriteHeader(code)
}

func (sr *statusRecorder) Write(b []byte) (int, error) {
	if sr.status == 0 {
		sr.status = http.StatusOK
	}
	return sr.ResponseWriter.Write(b)
}

func (sr *statusRecorder) Unwrap() http.ResponseWriter { return sr.ResponseWriter }

// logRequests writes one log line per request, with what the exchange of an
// API request learnt. Secrets never reach the log: only the app code and
// user name are taken from X-Bkapi-Authorization.
func (srv *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !srv.log.Enabled(r.Context(), slog.LevelInfo) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		x := exchangeOf(r)
		status := func() int { return x.w.status }
		if x == nil {
			sr := &statusRecorder{ResponseWriter: w}
			w, status = sr, func() int { return sr.status }
		}
		next.ServeHTTP(w, r)
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status()),
			slog.Duration("duration", time.Since(start)),
		}
		if x != nil {
			attrs = append(attrs, slog.String("job_request_id", x.requestID), slog.String("app", x.ident.app))
			if x.ident.user != "" {
				attrs = append(attrs, slog.String("user", x.ident.user))
			}
			if len(x.problems) > 0 {
				attrs = append(attrs, slog.String("problem", x.problems[0].err.Error()))
			}
			if a := x.plan.applied(); len(a) > 0 {
				attrs = append(attrs, slog.String("scenario", appliedNames(a)))
			}
			if x.mockError != "" {
				attrs = append(attrs, slog.String("mock_error", x.mockError))
			}
		}
		srv.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// cors answers browsers when --cors-origin allows their origin.
func (srv *Server) cors(next http.Handler) http.Handler {
	if srv.cfg.CORSOrigin == "" {
		return next
	}
	allowed := map[string]bool{}
	for _, o := range strings.Split(srv.cfg.CORSOrigin, ",") {
		allowed[strings.TrimSpace(o)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		if origin == "" || !(allowed["*"] || allowed[origin]) {
			next.ServeHTTP(w, r)
			return
		}
		if allowed["*"] {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		h.Set("Access-Control-Expose-Headers", exposedHeaders)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			// GET only, on the admin API too: browsers never get to write to it cross-origin.
			h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
			h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Get("Access-Control-Request-Headers")))
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// exposedHeaders are the response headers a cross-origin page may read.
const exposedHeaders = "X-Bkapi-Error-Code, X-Bkapi-Error-Message, X-Bkapi-Request-Id, " +
	"X-Bkapi-RateLimit-Limit, X-Bkapi-RateLimit-Remaining, X-Bkapi-RateLimit-Reset, X-Bkapi-RateLimit-Plugin, X-Mock-Error"

// corsHeaders are the request headers a cross-origin page may always send.
const corsHeaders = "X-Bkapi-Authorization, Blueking-Language, Content-Type, Accept, X-Mock-Scenario"

// allowHeaders answers a preflight's Access-Control-Request-Headers: the usual
// headers, plus any X-Bkapi-* header the page asks for (the gateway's family).
func allowHeaders(requested string) string {
	out := corsHeaders
	for h := range strings.SplitSeq(requested, ",") {
		h = strings.TrimSpace(h)
		if len(h) > len("x-bkapi-") && strings.EqualFold(h[:len("x-bkapi-")], "x-bkapi-") && !strings.EqualFold(h, AuthHeader) {
			out += ", " + http.CanonicalHeaderKey(h)
		}
	}
	return out
}
