package mock

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// DefaultJournalSize is how many requests the CLI's journal keeps unless told otherwise.
const DefaultJournalSize = 1000

// maxJournalBody bounds the part of each response body the journal keeps
// (a page of 200 items is about 70 KiB).
const maxJournalBody = 128 << 10

// journal is a bounded in-memory record of the API requests: a ring of the
// newest entries. Entries are complete and immutable once added.
type journal struct {
	mu   sync.Mutex
	ring []*journalEntry
	head int    // where the next entry goes
	n    int    // entries held
	seq  uint64 // id of the newest entry; ids keep growing across clears
}

// newJournal returns a journal of size entries, nil for size 0 (no journal).
func newJournal(size int) *journal {
	if size <= 0 {
		return nil
	}
	return &journal{ring: make([]*journalEntry, size)}
}

// journalEntry is one request and its answer. Secrets are masked before it is
// made (spec.MaskURL, spec.MaskHeader), so nothing that reads the journal can leak them.
type journalEntry struct {
	ID             uint64        `json:"id"`
	Time           time.Time     `json:"time"`      // wall clock
	MockTime       time.Time     `json:"mock_time"` // the mock's clock (pinned or running), as the Date header says
	Method         string        `json:"method"`
	URL            string        `json:"url"` // path and query, as sent
	Host           string        `json:"host"`
	TLS            bool          `json:"tls,omitempty"`
	API            string        `json:"api,omitempty"` // user or system; empty for a gateway 404
	App            string        `json:"app,omitempty"`
	User           string        `json:"user,omitempty"`
	Scope          string        `json:"scope,omitempty"`
	ScenarioHeader string        `json:"scenario_header,omitempty"`
	Scenarios      []scenarioUse `json:"scenarios,omitempty"`
	Problems       []problemView `json:"problems,omitempty"`
	MockError      string        `json:"mock_error,omitempty"`
	Status         int           `json:"status"` // 0: no answer (reset, hang, client gone)
	DurationMS     float64       `json:"duration_ms"`
	RequestID      string        `json:"job_request_id,omitempty"`
	GatewayID      string        `json:"bkapi_request_id"` // X-Bkapi-Request-Id of the answer: unique per exchange
	RequestHeader  http.Header   `json:"request_headers"`
	ResponseHeader http.Header   `json:"response_headers,omitempty"`
	BodySize       int           `json:"response_size"`
	Body           *string       `json:"response_body,omitempty"` // set in the views that ask for it
	body           []byte        // at most maxJournalBody bytes of what was sent
	durationExact  time.Duration // for HAR
}

// scenarioUse is a scenario applied to a request and the source that chose it.
type scenarioUse struct {
	Name   string `json:"name"`
	Source string `json:"source"` // header, admin:ID or fixtures:LINE
}

// problemView is one validation problem of a request, reported or not.
type problemView struct {
	Param    string `json:"param"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Detail   string `json:"detail,omitempty"`
	Found    string `json:"found,omitempty"` // what kin-openapi found
	Reported bool   `json:"reported"`
}

func (j *journal) add(e *journalEntry) {
	j.mu.Lock()
	j.seq++
	e.ID = j.seq
	j.ring[j.head] = e
	j.head++
	if j.head == len(j.ring) {
		j.head = 0
	}
	if j.n < len(j.ring) {
		j.n++
	}
	j.mu.Unlock()
}

// each calls fn for the entries newest first until it returns false.
func (j *journal) each(fn func(*journalEntry) bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := 1; i <= j.n; i++ {
		if !fn(j.ring[(j.head-i+len(j.ring))%len(j.ring)]) {
			return
		}
	}
}

func (j *journal) get(id uint64) *journalEntry {
	var found *journalEntry
	j.each(func(e *journalEntry) bool {
		if e.ID == id {
			found = e
		}
		return e.ID > id
	})
	return found
}

func (j *journal) clear() {
	j.mu.Lock()
	clear(j.ring)
	j.head, j.n = 0, 0
	j.mu.Unlock()
}

// stats returns the number of entries held, the capacity and the newest id.
func (j *journal) stats() (n, size int, last uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.n, len(j.ring), j.seq
}

// journalRequests records every API request and its answer in the journal,
// whatever answered it: the mock's own 400 for a bad scenario, the gateway,
// job-execute or a fault. With the journal off it is not in the chain.
func (srv *Server) journalRequests(next http.Handler) http.Handler {
	if srv.journal == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		x.w.onDone = func() { srv.record(r, x) }
		defer x.w.done() // deferred: a fault may end the handler with http.ErrAbortHandler
		next.ServeHTTP(w, r)
	})
}

// record adds the journal entry of a finished request.
func (srv *Server) record(r *http.Request, x *exchange) {
	d := time.Since(x.start)
	e := &journalEntry{
		Time:           x.start,
		MockTime:       x.mockStart,
		Method:         r.Method,
		URL:            spec.MaskURL(r.URL.RequestURI()),
		Host:           r.Host,
		TLS:            r.TLS != nil,
		Scope:          x.scope.String(),
		ScenarioHeader: strings.Join(r.Header[ScenarioHeader], ", "),
		MockError:      x.mockError,
		Status:         x.w.status,
		DurationMS:     float64(d.Microseconds()) / 1000,
		durationExact:  d,
		RequestHeader:  spec.MaskHeader(r.Header),
		ResponseHeader: x.w.Header(), // the answer's own map: nothing changes it once the handler is done
		BodySize:       x.w.size,
		body:           x.w.body,
		GatewayID:      x.w.Header().Get(gatewayRequestIDHeader),
	}
	if x.api != apiNone {
		e.API = x.api.String()
		e.RequestID = x.requestID
	}
	e.App, e.User = x.ident.app, x.ident.user
	if e.App == "" {
		e.App, e.User = claimedIdentity(x.authHdr)
	}
	for _, a := range x.plan.applied() {
		e.Scenarios = append(e.Scenarios, scenarioUse{a.sc.String(), a.source})
	}
	for i, p := range x.problems {
		msg, detail := p.err.message(true)
		if detail == msg {
			detail = ""
		}
		e.Problems = append(e.Problems, problemView{
			Param: p.err.param, Code: v4Errors[p.err.kind].code, Message: msg, Detail: detail, Found: p.note, Reported: i == 0,
		})
	}
	srv.journal.add(e)
}

// appliedNames writes applied scenarios as "name (source), ...".
func appliedNames(as []applied) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.sc.String() + " (" + a.source + ")"
	}
	return strings.Join(parts, ", ")
}

// journalFilter selects journal entries; zero fields match everything.
type journalFilter struct {
	status   string // 403, or a class: 4xx; 0 for no answer
	user     string
	app      string
	scope    string
	scenario string // a scenario name (with or without argument) or source
	method   string
	path     string // substring of the path
	id       string // a job_request_id or an X-Bkapi-Request-Id
	since    uint64 // only entries with a greater id
	limit    int
}

func parseJournalFilter(q url.Values, size int) (journalFilter, *mockError) {
	f := journalFilter{
		status: q.Get("status"), user: q.Get("user"), app: q.Get("app"), scope: q.Get("scope"),
		scenario: q.Get("scenario"), method: strings.ToUpper(q.Get("method")), path: q.Get("path"), id: q.Get("request_id"),
		limit: 100,
	}
	if f.status != "" {
		ok := len(f.status) == 3 && strings.HasSuffix(f.status, "xx") && f.status[0] >= '1' && f.status[0] <= '5'
		if _, err := strconv.Atoi(f.status); err == nil {
			ok = true
		}
		if !ok {
			return f, mockBadRequest("status=%q: want a status such as 403, a class such as 5xx, or 0 for no answer", f.status)
		}
	}
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return f, mockBadRequest("since=%q: want the id of an entry", v)
		}
		f.since = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, mockBadRequest("limit=%q: want a positive number", v)
		}
		f.limit = n
	}
	f.limit = min(f.limit, max(size, 1))
	return f, nil
}

func (f *journalFilter) match(e *journalEntry) bool {
	if f.status != "" {
		st := strconv.Itoa(e.Status)
		if strings.HasSuffix(f.status, "xx") {
			if len(st) != 3 || st[0] != f.status[0] {
				return false
			}
		} else if st != f.status {
			return false
		}
	}
	if f.user != "" && e.User != f.user || f.app != "" && e.App != f.app || f.scope != "" && e.Scope != f.scope ||
		f.method != "" && e.Method != f.method {
		return false
	}
	if f.id != "" && e.RequestID != f.id && e.GatewayID != f.id {
		return false
	}
	if f.path != "" && !strings.Contains(pathOf(e.URL), f.path) {
		return false
	}
	if f.scenario != "" {
		found := false
		for _, s := range e.Scenarios {
			name, _, _ := strings.Cut(s.Name, ":")
			if s.Name == f.scenario || name == f.scenario || s.Source == f.scenario {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func pathOf(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	return p
}

// find returns the matching entries, newest first.
func (j *journal) find(f journalFilter) []*journalEntry {
	var out []*journalEntry
	j.each(func(e *journalEntry) bool {
		if e.ID <= f.since {
			return false
		}
		if f.match(e) {
			out = append(out, e)
		}
		return len(out) < f.limit
	})
	return out
}

// view returns a copy of e for JSON, with the response body when withBody.
func (e *journalEntry) view(withBody bool) journalEntry {
	v := *e
	if withBody {
		b := string(e.body)
		v.Body = &b
	}
	return v
}
