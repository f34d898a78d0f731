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

// exchange is what the middleware learn about one API request, shared down
// the chain. The journal starts it; each layer adds what it finds.
type exchange struct {
	requestID string
	en        bool
	routed    bool // an API route took the request (not a gateway 404)
	system    bool
	ident     identity
	query     url.Values // first value of each parameter
	plan      plan       // the scenarios chosen for the request
	problems  []problem  // every validation problem, the reported one first
	mockError string     // code of the mock's own error, if it answered one
	journal   *journalWriter
}

// recordNow records the request in the journal before a fault closes the
// connection (nothing when the journal is off).
func (x *exchange) recordNow() {
	if x.journal != nil {
		x.journal.record()
	}
}

// newExchange starts the exchange of an API request.
func newExchange(r *http.Request) *exchange {
	return &exchange{
		requestID: requestID(r),
		en:        strings.HasPrefix(strings.ToLower(r.Header.Get(LanguageHeader)), "en"),
		query:     firstValues(r.URL.RawQuery),
	}
}

type exchangeKey struct{}

func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

// scenarios chooses the scenarios of the request (X-Mock-Scenario, then the
// admin API's, then the fixtures rules; see plan) and applies the delay and
// the fault among them around the rest of the chain. Errors and data shapes
// are answered further down, by the layer that would produce them. With no
// header, nothing switched on and no rules, it costs one atomic load.
func (s *server) scenarios(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		x.routed = true
		header := r.Header[ScenarioHeader]
		acts := s.srv.store.active()
		if len(header) == 0 && len(acts) == 0 && len(s.rules) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if len(header) > 0 {
			scs, merr := parseScenarios(strings.Join(header, ","))
			if merr != nil {
				merr.Message = ScenarioHeader + ": " + merr.Message
				x.mockError = merr.Code
				writeMockError(w, merr)
				return
			}
			x.plan.add(scs, "header")
		}
		if !x.plan.full() && (len(acts) > 0 || len(s.rules) > 0) {
			scope := x.query.Get("bk_scope_type") + ":" + x.query.Get("bk_scope_id")
			id, _ := authenticate(s.fx, r.Header.Get(AuthHeader), true) // who, for matching; the gateway decides later
			s.srv.store.apply(&x.plan, acts, scope, id.user)
			s.applyRules(&x.plan, scope, id.user, x.query)
		}
		s.perform(w, r, next)
	})
}

// gateway authenticates the request as the API gateway does (needUser on the
// user API). A gateway scenario answers once authentication has passed, where
// the real gateway rate limits, checks the app's permission and proxies.
func (s *server) gateway(needUser bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		x.system = !needUser
		id, gerr := authenticate(s.fx, r.Header.Get(AuthHeader), needUser)
		if gerr != nil {
			writeGatewayError(w, gerr)
			return
		}
		x.ident = id
		if sc := x.plan.get(slotAnswer, stageGateway); sc != nil {
			writeScenarioGatewayError(w, sc)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// scopeAccess checks the scope (type known, scope exists) and, on the user
// API, the user's permission on it; both come before parameter binding in the
// real server, so a user without permission gets 403 even for bad parameters.
// A contract-error scenario answers here, as job-execute, before its checks.
func (s *server) scopeAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if sc := x.plan.get(slotAnswer, stageService); sc != nil {
			writeV4Error(w, s.scenarioError(sc, x), x.en, x.requestID)
			return
		}
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
			if a := x.plan.applied(); len(a) > 0 {
				attrs = append(attrs, slog.String("scenario", appliedNames(a)))
			}
			if x.mockError != "" {
				attrs = append(attrs, slog.String("mock_error", x.mockError))
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
