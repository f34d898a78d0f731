package mock

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// LanguageHeader selects the language of error messages: "en" for English,
// anything else for Chinese.
const LanguageHeader = "Blueking-Language"

// apiKind is the gateway resource a request is for.
type apiKind uint8

const (
	apiNone   apiKind = iota // no API route: the gateway's 404
	apiUser                  // GET /api/v4/get_job_instance_list: app and user
	apiSystem                // GET /api/v4/system/get_job_instance_list: app only
)

func (k apiKind) String() string {
	switch k {
	case apiUser:
		return "user"
	case apiSystem:
		return "system"
	}
	return ""
}

// exchange is one API request, decoded once by the outermost middleware
// (exchanges), and what the layers below learn about its answer. Every layer,
// the request log, the journal and the data browser read it; none reads the
// query again.
type exchange struct {
	start     time.Time
	mockStart time.Time // the mock's clock as the request came in (the Date header)
	requestID string    // job_request_id: the same for identical requests
	en        bool      // Blueking-Language: en
	gen       *generation
	api       apiKind // set by the route

	params   url.Values  // the first value of each query parameter, decoded
	badParam []string    // parameters whose value could not be unescaped, in query order
	tooMany  bool        // more than maxParams parameters: none was read
	scope    bkjob.Scope // bk_scope_type and bk_scope_id as sent
	query    bkjob.Query // params as typed values; trusted once validation passed
	queryErr error       // what did not decode into query (validation reports it first)
	scenario string      // X-Mock-Scenario, its values joined
	authHdr  string      // X-Bkapi-Authorization

	authDone bool
	ident    identity
	authErr  *gatewayError

	plan      plan      // the scenarios chosen for the request
	problems  []problem // every validation problem, the reported one first
	mockError string    // code of the mock's own error, if it answered one
	proxied   *proxied  // what the proxy learnt; nil for the mock

	w answerWriter // the answer as sent
}

type exchangeKey struct{}

// exchangeOf returns the exchange of an API request, nil for other requests.
func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

// decodeRequest decodes r into an exchange of generation g.
func (srv *Server) decodeRequest(r *http.Request, g *generation) *exchange {
	x := &exchange{
		start:    time.Now(),
		gen:      g,
		en:       strings.HasPrefix(strings.ToLower(r.Header.Get(LanguageHeader)), "en"),
		scenario: strings.Join(r.Header[ScenarioHeader], ","),
		authHdr:  r.Header.Get(AuthHeader),
	}
	x.requestID = requestID(r)
	x.params, x.badParam, x.tooMany = parseQuery(r.URL.RawQuery)
	x.decodeParams(srv.cfg.Quirks)
	return x
}

// decodeParams sets the scope and the typed query from x.params.
func (x *exchange) decodeParams(quirks bool) {
	x.scope = bkjob.Scope{Type: x.params.Get("bk_scope_type"), ID: x.params.Get("bk_scope_id")}
	x.query, x.queryErr = decodeQuery(x.params, quirks)
	x.query.Scope = x.scope
}

// auth authenticates the request as the gateway does, once.
func (x *exchange) auth() (identity, *gatewayError) {
	if !x.authDone {
		x.authDone = true
		x.ident, x.authErr = x.gen.auth.authenticate(x.gen.fx, x.authHdr, x.api != apiSystem)
	}
	return x.ident, x.authErr
}

// maxParams is the most query parameters a request may have, as in Go's
// net/url; past it the request gets a 400 naming the problem.
const maxParams = 10000

// parseQuery reads a raw query the way the real server binds it: the first
// value of each parameter counts. A pair that does not unescape is kept out
// of the values and its name (if the name unescapes) is returned in bad, so
// that it is reported rather than silently dropped; more than maxParams
// pairs is tooMany.
func parseQuery(raw string) (values url.Values, bad []string, tooMany bool) {
	if raw == "" {
		return url.Values{}, nil, false
	}
	n := strings.Count(raw, "&") + 1
	if n > maxParams {
		return url.Values{}, nil, true
	}
	values = make(url.Values, n)
	firsts := make([]string, 0, n) // one array for every parameter's value
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			continue // not a name the API has
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			if _, known := spec.ParamIndex(key); known {
				bad = append(bad, key)
			}
			continue
		}
		if _, seen := values[key]; !seen {
			firsts = append(firsts, val)
			values[key] = firsts[len(firsts)-1 : len(firsts) : len(firsts)]
		}
	}
	return values, bad, false
}

// decodeQuery turns parameters into a Query. Empty numbers mean absent, as
// in the real server; a number that does not parse is left out and named in
// the error (validation answers it before anyone trusts the query).
func decodeQuery(q url.Values, quirks bool) (bkjob.Query, error) {
	var bad []string
	num := func(name string) (int64, bool) {
		s := q.Get(name)
		if s == "" {
			return 0, false
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			bad = append(bad, name)
			return 0, false
		}
		return v, true
	}
	query := bkjob.Query{
		Operator: nonBlank(q.Get("operator")),
		Name:     nonBlank(q.Get("name")),
		IP:       q.Get("ip"),
		Length:   10,
	}
	query.CreateTimeStart, _ = num("create_time_start")
	query.CreateTimeEnd, _ = num("create_time_end")
	query.JobInstanceID, _ = num("job_instance_id")
	query.JobCronID, _ = num("job_cron_id")
	if v, ok := num("launch_mode"); ok {
		m := bkjob.LaunchMode(v)
		query.LaunchMode = &m
	}
	if v, ok := num("type"); ok {
		if t := bkjob.TaskType(v); t.Valid() || !quirks {
			query.Type = &t
		} // --quirks: the real server ignores an invalid type
	}
	if v, ok := num("status"); ok {
		st := bkjob.Status(v)
		query.Status = &st
	}
	if v, ok := num("offset"); ok {
		query.Offset = int(v)
	}
	if v, ok := num("length"); ok {
		query.Length = int(v)
	}
	if len(bad) > 0 {
		return query, fmt.Errorf("not numbers: %s", strings.Join(bad, ", "))
	}
	return query, nil
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// nonBlank returns s, or "" when s is only whitespace (no filter).
func nonBlank(s string) string {
	if blank(s) {
		return ""
	}
	return s
}

// exchanges is the outermost middleware of API requests: it decodes the
// request into its exchange, on the generation serving now, and wraps the
// writer so that the log and the journal see the answer as sent.
func (srv *Server) exchanges(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := srv.decodeRequest(r, srv.gen.Load())
		h := w.Header()
		h[gatewayRequestIDHeader] = []string{newGatewayRequestID()}
		x.mockStart = srv.now()
		h["Date"] = []string{x.mockStart.UTC().Format(http.TimeFormat)}
		x.w = answerWriter{ResponseWriter: w, length: -1}
		next.ServeHTTP(&x.w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
	})
}

// answerWriter remembers the status, the size and (for the journal) the
// start of the body an answer sends. When the journal is on, it records the
// entry once the answer is complete: before the last byte of a body with a
// Content-Length is written, before a fault closes the connection itself
// (recordNow), or when the journal middleware returns. So whoever has seen
// the whole answer, or the connection close, finds the entry in the journal.
type answerWriter struct {
	http.ResponseWriter
	status int
	size   int
	length int    // the declared Content-Length, -1 when none
	body   []byte // what earlier writes sent, at most maxJournalBody bytes, when journaled
	last   []byte // the write that completes the body, while the entry is recorded

	onDone func() // records the journal entry; nil when the journal is off
}

func (aw *answerWriter) WriteHeader(code int) {
	if aw.status == 0 && code >= 200 {
		aw.status = code
		if cl := aw.Header()["Content-Length"]; len(cl) == 1 {
			if n, err := strconv.Atoi(cl[0]); err == nil {
				aw.length = n
			}
		}
	}
	aw.ResponseWriter.WriteHeader(code)
}

func (aw *answerWriter) Write(b []byte) (int, error) {
	if aw.status == 0 {
		aw.WriteHeader(http.StatusOK)
	}
	aw.size += len(b)
	if aw.onDone != nil {
		if aw.length >= 0 && aw.size >= aw.length {
			// The journal copies the last write (often the whole body) itself.
			aw.last = b
			aw.done()
			aw.last = nil
		} else if room := maxJournalBody - len(aw.body); room > 0 {
			aw.body = append(aw.body, b[:min(len(b), room)]...)
		}
	}
	return aw.ResponseWriter.Write(b)
}

func (aw *answerWriter) Unwrap() http.ResponseWriter { return aw.ResponseWriter }

// done records the journal entry, once.
func (aw *answerWriter) done() {
	if f := aw.onDone; f != nil {
		aw.onDone = nil
		f()
	}
}

// recordNow records the request in the journal before a fault closes the
// connection (nothing when the journal is off).
func (x *exchange) recordNow() { x.w.done() }

// gatewayRequestIDHeader is the API gateway's request id: on every answer,
// success or error, unique per exchange (unlike job_request_id, which is the
// same for identical requests). The mock's Date header follows its clock.
const gatewayRequestIDHeader = "X-Bkapi-Request-Id"

// newGatewayRequestID returns 32 random lowercase hex characters, from the
// runtime's ChaCha8 generator: unique per exchange without a system call.
func newGatewayRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// requestID returns the job_request_id of a request: 32 hex characters, the
// same for identical requests so that recorded answers can be compared.
func requestID(r *http.Request) string {
	var buf [1024]byte // most requests: no allocation but the id
	b := append(buf[:0], r.Method...)
	b = append(b, 0)
	b = append(b, r.URL.Path...)
	b = append(b, 0)
	b = append(b, r.URL.RawQuery...)
	b = append(b, 0)
	b = append(b, r.Header.Get(AuthHeader)...)
	b = append(b, 0)
	b = append(b, r.Header.Get(LanguageHeader)...)
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}
