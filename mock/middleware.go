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
		var buf [10]slog.Attr
		attrs := append(buf[:0],
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status()),
			slog.Duration("duration", time.Since(start)),
		)
		if x != nil {
			app, user := x.ident.app, x.ident.user
			if app == "" { // not authenticated (a proxy, a refused request): who it claims to be
				app, user = claimedIdentity(x.authHdr)
			}
			attrs = append(attrs, slog.String("job_request_id", x.requestID), slog.String("app", app))
			if user != "" {
				attrs = append(attrs, slog.String("user", user))
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
			if x.proxied != nil && len(x.proxied.findings) > 0 {
				attrs = append(attrs, slog.Int("findings", len(x.proxied.findings)), slog.String("check", x.proxied.findings[0].Check))
			}
		}
		srv.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// DefaultCORSOrigins are the browser origins the mock answers when
// Config.CORSOrigin is empty: frontend dev servers on loopback, any port.
const DefaultCORSOrigins = "http://localhost:*,http://127.0.0.1:*,http://[::1]:*"

// corsPolicy is a parsed --cors-origin: exact origins, "scheme://host:*"
// patterns (any port), or * for any origin.
type corsPolicy struct {
	any      bool
	exact    map[string]bool
	anyPorts []string // "http://localhost:" for http://localhost:*
}

func parseCORS(list string) corsPolicy {
	p := corsPolicy{exact: map[string]bool{}}
	for o := range strings.SplitSeq(list, ",") {
		switch o = strings.TrimSpace(o); {
		case o == "*":
			p.any = true
		case strings.HasSuffix(o, ":*"):
			p.anyPorts = append(p.anyPorts, strings.TrimSuffix(o, "*"))
		case o != "":
			p.exact[o] = true
		}
	}
	return p
}

func (p *corsPolicy) allows(origin string) bool {
	if p.any || p.exact[origin] {
		return true
	}
	for _, prefix := range p.anyPorts {
		if port, ok := strings.CutPrefix(origin, prefix); ok && port != "" && strings.Trim(port, "0123456789") == "" {
			return true
		}
	}
	return false
}

// CORSOrigins returns the browser origins the mock answers, as configured
// (DefaultCORSOrigins when Config.CORSOrigin is empty), or "off".
func (srv *Server) CORSOrigins() string {
	switch o := srv.cfg.CORSOrigin; o {
	case "":
		return DefaultCORSOrigins
	default:
		return o
	}
}

// cors answers browsers whose origin --cors-origin allows (by default the
// loopback dev origins): the response headers they may read, and preflights
// for any request header they ask to send. A preflight from another origin
// gets a mock error naming the origin and the flag, and a log line.
func (srv *Server) cors(next http.Handler) http.Handler {
	origins := srv.CORSOrigins()
	if origins == "off" {
		return next
	}
	policy := parseCORS(origins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight { // answered here, before any exchange: the gateway's id too
			h[gatewayRequestIDHeader] = []string{newGatewayRequestID()}
		}
		if origin == "" || !policy.allows(origin) {
			if origin != "" && preflight {
				srv.log.WarnContext(r.Context(), "CORS preflight refused", "origin", origin, "path", r.URL.Path, "allowed", origins)
				writeMockError(w, &mockError{status: http.StatusForbidden, Code: "CORS_ORIGIN_REFUSED",
					Message: "origin " + origin + " is not allowed (allowed: " + origins + "); start the mock with --cors-origin " + origin + " (or BKJOB_MOCK_CORS_ORIGIN)"})
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if policy.any {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		h.Set("Access-Control-Expose-Headers", exposedHeaders)
		if preflight {
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
// headers, plus every other header the page asks for (tracing headers such as
// traceparent, the gateway's X-Bkapi-* family, a tenant header).
func allowHeaders(requested string) string {
	out := corsHeaders
	for h := range strings.SplitSeq(requested, ",") {
		h = strings.TrimSpace(h)
		if h == "" || !validHeaderName(h) || strings.Contains(strings.ToLower(corsHeaders), strings.ToLower(h)) {
			continue
		}
		out += ", " + http.CanonicalHeaderKey(h)
	}
	return out
}

// validHeaderName reports whether h is an HTTP token, so that nothing else
// is echoed back.
func validHeaderName(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
