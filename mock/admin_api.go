package mock

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

//go:embed admin
var adminFiles embed.FS

// AdminTokenHeader carries the admin token, as an alternative to
// "Authorization: Bearer TOKEN".
const AdminTokenHeader = "X-Mock-Admin-Token"

// adminGuard lets reads (GET, HEAD, OPTIONS) of the admin API through and
// refuses writes that are cross-origin (an Origin header other than the mock's
// own) or, unless a token is configured, that come from another host than
// loopback or name the mock by a host other than a loopback one (DNS
// rebinding). With a token, a write needs it, from wherever it comes.
func (srv *Server) adminGuard(next http.Handler) http.Handler {
	token := srv.cfg.AdminToken
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forbidden := func(code, msg string) {
			writeMockError(w, &mockError{status: http.StatusForbidden, Code: code, Message: msg})
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			// Reads of what the mock recorded refuse a Host that is a DNS
			// name other than localhost (a rebinding page), unless the
			// token comes with them.
			if !publicAdminPath(r.URL.Path) && !isIPOrLoopbackHost(r.Host) && !(token != "" && validToken(r, token)) {
				forbidden("HOST_NOT_ALLOWED", "the admin API answers reads only to a loopback name or an IP address in the Host header (this one: "+r.Host+"); use one, or start the mock with --admin-token and send it")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r) {
			forbidden("CROSS_ORIGIN", "the admin API refuses writes from another origin ("+origin+")")
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			forbidden("CROSS_ORIGIN", "the admin API refuses writes from another site")
			return
		}
		if token != "" {
			if !validToken(r, token) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="bkjob-mock admin"`)
				writeMockError(w, &mockError{status: http.StatusUnauthorized, Code: "ADMIN_TOKEN_REQUIRED",
					Message: "this admin API write needs the admin token: Authorization: Bearer TOKEN or " + AdminTokenHeader + ": TOKEN"})
				return
			}
		} else if !isLoopback(r.RemoteAddr) || !isLoopbackHost(r.Host) {
			forbidden("LOOPBACK_ONLY", "the admin API accepts writes only from the loopback address, to a loopback host name; start the mock with --admin-token to allow others")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func validToken(r *http.Request, token string) bool {
	got := r.Header.Get(AdminTokenHeader)
	if auth := r.Header.Get("Authorization"); got == "" && len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		got = strings.TrimSpace(auth[7:])
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// sameOrigin reports whether origin is the mock's own origin as the request names it.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// publicAdminPath reports whether path may be read under any Host: the
// health probe, the contract and the page's own files (they hold no data).
func publicAdminPath(path string) bool {
	switch path {
	case "/__mock/health", "/__mock/openapi.yaml", "/__mock/", "/__mock", "/__mock/admin.js", "/__mock/admin.css":
		return true
	}
	return false
}

// isIPOrLoopbackHost reports whether a Host header names the mock by an IP
// address (which no DNS rebinding can stand behind) or a loopback name.
func isIPOrLoopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return net.ParseIP(strings.Trim(host, "[]")) != nil || isLoopbackHost(hostport)
}

func isLoopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handleHealth answers GET /__mock/health: 200 once the mock is ready, which
// is as soon as it is serving.
func handleHealth() http.Handler {
	body := []byte(`{"status":"ok"}` + "\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, body)
	})
}

// handleOpenAPI answers GET /__mock/openapi.yaml with the embedded contract.
func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		w.Write(bkjob.OpenAPISpec)
	})
}

// handleAdminPage answers GET /__mock/ (the admin page) and its script and style.
func handleAdminPage(name string) http.Handler {
	body, err := adminFiles.ReadFile("admin/" + name)
	if err != nil {
		panic(err) // embedded at build time
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if strings.HasSuffix(name, ".js") {
		ctype = "text/javascript; charset=utf-8"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		w.Write(body)
	})
}

// handleAdminNotFound answers any other path under /__mock/.
func handleAdminNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeMockError(w, mockNotFound("no admin route %s %s; see GET /__mock/ and docs/journal-and-admin.md", r.Method, r.URL.Path))
	})
}

// writeAdminJSON writes v as JSON, URLs and all left readable (no \u0026).
func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeMockError(w, &mockError{status: http.StatusInternalServerError, Code: "INTERNAL", Message: err.Error()})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, buf.Bytes())
}

// catalogEntry is a scenario as GET /__mock/scenarios/catalog lists it.
type catalogEntry struct {
	Name    string   `json:"name"`
	Syntax  string   `json:"syntax"`
	Group   string   `json:"group"`
	Slot    string   `json:"slot"`
	Status  int      `json:"status,omitempty"`
	Args    []string `json:"args,omitempty"`
	Default string   `json:"default,omitempty"`
	Summary string   `json:"summary"`
	Example string   `json:"example"`
}

func catalog() []catalogEntry {
	out := make([]catalogEntry, len(scenarioCatalog))
	for i, d := range scenarioCatalog {
		e := catalogEntry{Name: d.name, Syntax: d.syntax(), Group: d.group, Slot: slotNames[d.slot], Status: d.status, Args: d.args, Summary: d.summary, Example: d.example}
		if d.arg == argEnum {
			e.Default = d.args[0]
		}
		if d.arg == argDuration {
			e.Default = d.defDur.String()
		}
		out[i] = e
	}
	return out
}

// handleScenarioCatalog answers GET /__mock/scenarios/catalog: every scenario,
// its syntax and what it does.
func handleScenarioCatalog() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, map[string]any{
			"scenarios":  catalog(),
			"header":     ScenarioHeader,
			"precedence": precedenceText,
		})
	})
}

const precedenceText = "A request gets at most one scenario per slot (answer, delay, fault). For each slot, " +
	"X-Mock-Scenario wins over the admin API, which wins over the fixtures rules; among admin scenarios the newest wins, " +
	"among rules the first in the file. none claims every slot still free."

// ruleView is a fixtures rule as the admin API shows it.
type ruleView struct {
	Scenario string            `json:"scenario"`
	Scope    string            `json:"scope,omitempty"`
	User     string            `json:"user,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	Source   string            `json:"source"`
	HiddenBy []string          `json:"hidden_by,omitempty"` // the sources that win over it on every request it matches
}

func (srv *Server) ruleViews() []ruleView {
	g := srv.gen.Load()
	out := make([]ruleView, 0, len(g.rules))
	for _, r := range g.rules {
		v := ruleView{Scenario: formatScenarios(r.scenarios), Scope: r.scope.String(), User: r.user, Source: r.source}
		if len(r.params) > 0 {
			v.Params = map[string]string{}
			for _, p := range r.params {
				v.Params[p[0]] = p[1]
			}
		}
		out = append(out, v)
	}
	return out
}

// handleScenarioList answers GET /__mock/scenarios: what the admin API has
// switched on, and the fixtures rules.
func (srv *Server) handleScenarioList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		active, rules := srv.scenarioViews()
		writeAdminJSON(w, http.StatusOK, map[string]any{"active": active, "rules": rules})
	})
}

// scenarioRequest is the body of POST /__mock/scenarios.
type scenarioRequest struct {
	Scenario string  `json:"scenario"` // as in X-Mock-Scenario, e.g. "gateway-timeout, latency:2s"
	Count    int64   `json:"count"`    // for the next N matching requests; 0: no limit
	Seconds  float64 `json:"seconds"`  // for this long; 0: no limit
	Scope    string  `json:"scope"`    // only for this scope, TYPE:ID
	User     string  `json:"user"`     // only for this user
}

// handleScenarioCreate answers POST /__mock/scenarios: switches scenarios on
// until cleared, for the next count requests or for seconds, for every
// request or only those of one scope or user. 201 with the activation.
func (srv *Server) handleScenarioCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			writeMockError(w, &mockError{status: http.StatusUnsupportedMediaType, Code: "UNSUPPORTED_MEDIA_TYPE", Message: "send the body as Content-Type: application/json"})
			return
		}
		var req scenarioRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeMockError(w, mockBadRequest("body: %v; want {\"scenario\": \"NAME[, NAME]\", \"count\": N, \"seconds\": T, \"scope\": \"TYPE:ID\", \"user\": \"NAME\"}", err))
			return
		}
		scs, merr := parseScenarios(req.Scenario)
		if merr != nil {
			merr.Message = "scenario: " + merr.Message
			writeMockError(w, merr)
			return
		}
		if len(scs) == 0 {
			writeMockError(w, &mockError{status: http.StatusBadRequest, Code: "UNKNOWN_SCENARIO", Message: "scenario: name at least one scenario", Valid: scenarioNames})
			return
		}
		if req.Count < 0 || req.Seconds < 0 || req.Seconds > 366*24*3600 {
			writeMockError(w, mockBadRequest("count and seconds must be positive, or 0 for no limit"))
			return
		}
		var scope bkjob.Scope
		if req.Scope != "" {
			var err error
			if scope, err = bkjob.ParseScope(req.Scope); err != nil {
				writeMockError(w, mockBadRequest("scope %q: %v", req.Scope, err))
				return
			}
		}
		a := &activation{scenarios: scs, scope: scope, user: req.User, count: req.Count, created: srv.store.now()}
		if req.Seconds > 0 {
			a.until = a.created.Add(time.Duration(req.Seconds * float64(time.Second)))
		}
		srv.store.add(a)
		w.Header().Set("Location", "/__mock/scenarios/"+strconv.Itoa(a.id))
		writeAdminJSON(w, http.StatusCreated, a.view())
	})
}

// handleScenarioDelete answers DELETE /__mock/scenarios/{id}: 204, or 404.
func (srv *Server) handleScenarioDelete() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || srv.store.remove(func(a *activation) bool { return a.id == id }) == 0 {
			writeMockError(w, mockNotFound("no active scenario %q", r.PathValue("id")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// handleScenarioClear answers DELETE /__mock/scenarios: switches every admin
// scenario off (fixtures rules stay). 204.
func (srv *Server) handleScenarioClear() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.store.remove(func(*activation) bool { return true })
		w.WriteHeader(http.StatusNoContent)
	})
}

func (srv *Server) requireJournal(w http.ResponseWriter) bool {
	if srv.journal == nil {
		writeMockError(w, mockNotFound("the journal is off (journal size 0)"))
		return false
	}
	return true
}

// handleRequestList answers GET /__mock/requests: journal entries newest first,
// filtered by status (403, 4xx, 0), user, app, tenant, scope, scenario, method, path
// (substring), request_id (a job_request_id or an X-Bkapi-Request-Id), since (entries after this id) and limit (default 100); body=1
// adds the response bodies. The answer is written entry by entry.
func (srv *Server) handleRequestList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !srv.requireJournal(w) {
			return
		}
		q := r.URL.Query()
		f, merr := parseJournalFilter(q, srv.journal.size)
		if merr != nil {
			writeMockError(w, merr)
			return
		}
		srv.writeEntries(w, f, q.Get("body") == "1" || q.Get("body") == "true")
	})
}

func (srv *Server) entry(w http.ResponseWriter, r *http.Request) *journalEntry {
	if !srv.requireJournal(w) {
		return nil
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	var e *journalEntry
	if err == nil {
		e = srv.journal.get(id)
	}
	if e == nil {
		st := srv.journal.stats()
		writeMockError(w, mockNotFound("no journal entry %q (the journal keeps the newest %d requests within %d bytes; it holds %d now)",
			r.PathValue("id"), st.Size, st.MaxBytes, st.Held))
	}
	return e
}

// handleRequestGet answers GET /__mock/requests/{id}: one entry with its response body.
func (srv *Server) handleRequestGet() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := srv.entry(w, r); e != nil {
			s := newJSONStream(w)
			s.value(e.view(true))
			s.close()
		}
	})
}

// handleRequestCurl answers GET /__mock/requests/{id}/curl: the request as a
// curl command (secrets masked as ***), with the scenarios the admin API or
// the rules applied to it added to X-Mock-Scenario.
func (srv *Server) handleRequestCurl() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := srv.entry(w, r); e != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, e.curl())
		}
	})
}

// handleRequestHAR answers GET /__mock/requests.har: the newest last=N (or
// limit=N; default all) of the entries the filters of GET /__mock/requests
// select, oldest first, as a HAR 1.2 log written entry by entry.
func (srv *Server) handleRequestHAR() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !srv.requireJournal(w) {
			return
		}
		q := r.URL.Query()
		size := srv.journal.size
		if v := q.Get("last"); v != "" {
			q.Set("limit", v)
		}
		if q.Get("limit") == "" {
			q.Set("limit", strconv.Itoa(size))
		}
		f, merr := parseJournalFilter(q, size)
		if merr != nil {
			if q.Get("last") != "" {
				merr.Message = strings.Replace(merr.Message, "limit=", "last=", 1)
			}
			writeMockError(w, merr)
			return
		}
		srv.writeHAR(w, f)
	})
}

// handleRequestClear answers DELETE /__mock/requests: empties the journal. 204.
func (srv *Server) handleRequestClear() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if srv.requireJournal(w) {
			srv.journal.clear()
			w.WriteHeader(http.StatusNoContent)
		}
	})
}
