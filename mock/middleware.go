package mock

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/routers"
)

// LanguageHeader selects the language of error messages: "en" for English,
// anything else for Chinese.
const LanguageHeader = "Blueking-Language"

// exchange is what the middleware learn about one API request, shared down the chain.
type exchange struct {
	requestID string
	en        bool
	system    bool
	ident     identity
	query     url.Values // first value of each parameter
	problems  []problem  // every validation problem, the reported one first
}

type exchangeKey struct{}

func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

// gateway authenticates the request as the API gateway does (needUser on the
// user API) and starts the exchange.
func (s *server) gateway(needUser bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := &exchange{
			requestID: requestID(r),
			en:        strings.HasPrefix(strings.ToLower(r.Header.Get(LanguageHeader)), "en"),
			system:    !needUser,
		}
		if lx := logExchangeOf(r); lx != nil {
			lx.x = x
		}
		id, gerr := authenticate(s.fx, r.Header.Get(AuthHeader), needUser)
		if gerr != nil {
			writeGatewayError(w, gerr)
			return
		}
		x.ident = id
		x.query = firstValues(r.URL.RawQuery)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
	})
}

// scopeAccess checks the scope (type known, scope exists) and, on the user
// API, the user's permission on it; both come before parameter binding in the
// real server, so a user without permission gets 403 even for bad parameters.
func (s *server) scopeAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		sc, aerr := s.checkScope(x.query)
		if aerr == nil && sc != nil && !x.system && !s.fx.CanAccess(x.ident.user, sc.Type, sc.ID) {
			aerr = &apiError{kind: errNoPermission, user: x.ident.user, scope: sc}
		}
		if aerr != nil {
			writeV4Error(w, aerr, x.en, x.requestID)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validation validates the request against openapi.yaml with kin-openapi and
// answers the first problem in the real server's order of checks.
func (s *server) validation(route *routers.Route, next http.Handler) http.Handler {
	noPathParams := map[string]string{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		problems, err := s.validate(r.Context(), r, route, noPathParams, x.query)
		if err != nil {
			s.log.ErrorContext(r.Context(), "validation failed unexpectedly", "job_request_id", x.requestID, "err", err)
			writeV4Error(w, &apiError{kind: errInternal}, x.en, x.requestID)
			return
		}
		if s.cfg.Quirks {
			problems = quirkProblems(problems)
		}
		x.problems = problems
		if len(problems) > 0 {
			writeV4Error(w, problems[0].err, x.en, x.requestID)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// quirkProblems reproduces the real service's handling of invalid enums: an
// invalid status or launch_mode crashes it (500), an invalid type is ignored.
func quirkProblems(problems []problem) []problem {
	out := problems[:0]
	for _, p := range problems {
		if p.phase == phaseEnum {
			switch p.err.param {
			case "type":
				continue
			case "status", "launch_mode":
				p.err = &apiError{kind: errInternal, param: p.err.param}
			}
		}
		out = append(out, p)
	}
	return out
}

// logExchange carries what the request log needs from the inner handlers.
type logExchange struct {
	x *exchange
}

type logKey struct{}

func logExchangeOf(r *http.Request) *logExchange {
	lx, _ := r.Context().Value(logKey{}).(*logExchange)
	return lx
}

// statusRecorder remembers the status a handler wrote.
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

// logRequests writes one log line per request. Secrets never reach the log:
// only the app code and user name are taken from X-Bkapi-Authorization.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelInfo) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		lx := &logExchange{}
		sr := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(sr, r.WithContext(context.WithValue(r.Context(), logKey{}, lx)))
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sr.status),
			slog.Duration("duration", time.Since(start)),
		}
		if x := lx.x; x != nil {
			attrs = append(attrs, slog.String("job_request_id", x.requestID), slog.String("app", x.ident.app))
			if x.ident.user != "" {
				attrs = append(attrs, slog.String("user", x.ident.user))
			}
			if len(x.problems) > 0 {
				attrs = append(attrs, slog.String("problem", x.problems[0].err.Error()))
			}
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// cors answers browsers when --cors-origin allows their origin.
func (s *server) cors(next http.Handler) http.Handler {
	if s.cfg.CORSOrigin == "" {
		return next
	}
	allowed := map[string]bool{}
	for _, o := range strings.Split(s.cfg.CORSOrigin, ",") {
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
		h.Set("Access-Control-Expose-Headers", "X-Bkapi-Error-Code, X-Bkapi-Error-Message, X-Bkapi-Request-Id")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "X-Bkapi-Authorization, Blueking-Language, Content-Type, Accept, X-Mock-Scenario")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
