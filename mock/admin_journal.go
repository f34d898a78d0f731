package mock

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// DefaultJournalSize is how many requests the CLI's journal keeps unless told otherwise.
const DefaultJournalSize = 1000

// DefaultJournalBytes is the journal's byte budget unless told otherwise
// (Config.JournalBytes 0).
const DefaultJournalBytes = 64 << 20

// Per-entry caps: what the journal keeps of each request and answer. A part
// cut short is named in the entry's "truncated" field.
const (
	maxJournalBody    = 128 << 10 // the response body (a page of 200 items is about 70 KiB)
	maxJournalHeaders = 16 << 10  // names and values of the request headers
	maxJournalURL     = 16 << 10  // path and query
	maxJournalField   = 1 << 10   // the tenant and the X-Mock-Scenario header as sent
)

// TenantHeader names the tenant of a request in multi-tenant BlueKing
// deployments; the journal records it.
const TenantHeader = "X-Bk-Tenant-Id"

// journal is a bounded in-memory record of the API requests: the newest
// entries, at most size of them and at most budget bytes (as estimated by
// journalEntry.cost), the oldest evicted first. Its slice grows as entries
// come, never ahead of them. Entries are complete and immutable once added.
type journal struct {
	mu      sync.Mutex
	entries []*journalEntry // oldest first; ids ascending
	size    int             // most entries
	budget  int64           // most bytes
	bytes   int64           // bytes held
	seq     uint64          // id of the newest entry; ids keep growing across clears
	ring    bodyRing        // the entries' response bodies
}

// newJournal returns a journal of size entries and budget bytes, nil for
// size 0 (no journal).
func newJournal(size int, budget int64) *journal {
	if size <= 0 {
		return nil
	}
	return &journal{size: size, budget: budget}
}

// journalEntry is one request and its answer. Secrets are masked before it is
// made (spec.MaskURL), except in the request's headers: those are kept as
// the request had them, without a copy, and masked (spec.MaskHeader) by
// requestHeader, the one way to read them, which every view and export takes.
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
	Tenant         string        `json:"tenant,omitempty"` // X-Bk-Tenant-Id
	Scope          string        `json:"scope,omitempty"`
	ScenarioHeader string        `json:"scenario_header,omitempty"`
	Scenarios      []scenarioUse `json:"scenarios,omitempty"`
	Problems       []problemView `json:"problems,omitempty"`
	MockError      string        `json:"mock_error,omitempty"`
	Status         int           `json:"status"` // 0: no answer (reset, hang, client gone)
	DurationMS     float64       `json:"duration_ms"`
	RequestID      string        `json:"job_request_id,omitempty"`
	GatewayID      string        `json:"bkapi_request_id"` // X-Bkapi-Request-Id of the answer: unique per exchange
	RequestHeader  http.Header   `json:"request_headers"`  // masked; set in views (see requestHeader)
	ResponseHeader http.Header   `json:"response_headers,omitempty"`
	BodySize       int           `json:"response_size"`
	Body           *string       `json:"response_body,omitempty"` // set in the views that ask for it
	Truncated      *truncation   `json:"truncated,omitempty"`     // what the journal cut short
	j              *journal      // whose ring holds the body
	bodyOff        int           // where the body starts in the ring
	bodyLen        int           // at most maxJournalBody bytes of what was sent
	reqHeader      http.Header   // the request's own headers, masked only when reqMasked
	reqMasked      bool          // reqHeader is a masked copy (one that had to be cut short)
	durationExact  time.Duration // for HAR
	cost           int64         // estimated bytes held

	// Proxy only: the contract's findings on the answer, and why the
	// upstream gave none.
	Contract      *contractView `json:"contract,omitempty"`
	UpstreamError string        `json:"upstream_error,omitempty"`
}

// truncation names the parts of an entry the journal kept only the start of.
type truncation struct {
	URL            *cut `json:"url,omitempty"`
	RequestHeaders *cut `json:"request_headers,omitempty"`
	ResponseBody   *cut `json:"response_body,omitempty"`
	Fields         *cut `json:"fields,omitempty"` // tenant or scenario header
}

// cut is a part of an entry kept short: Kept of its Size bytes.
type cut struct {
	Kept int `json:"kept"`
	Size int `json:"size"`
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

// add gives e the next id and adds it with its response body, the parts
// joined, evicting the oldest entries until the count, the byte budget and
// the body ring hold it (a lone entry is always kept). The ring's array is
// counted whole in the budget; it grows only when the budget allows.
func (j *journal) add(e *journalEntry, body ...[]byte) {
	n := 0
	for _, p := range body {
		n += len(p)
	}
	e.j, e.bodyLen = j, n
	e.cost = e.estimate()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.ID = j.seq
	for len(j.entries) > 0 && (len(j.entries) >= j.size || j.bytes+int64(len(j.ring.buf))+e.cost > j.budget) {
		j.evictOldest()
	}
	for j.ring.free() < n {
		if size := j.ringSize(j.ring.used+n, e.cost); len(j.entries) == 0 || j.bytes+e.cost+int64(size) <= j.budget {
			move := j.ring.grow(size)
			for _, o := range j.entries {
				o.bodyOff = move(o.bodyOff)
			}
			continue
		}
		j.evictOldest()
	}
	e.bodyOff = j.ring.write(body...)
	j.entries = append(j.entries, e)
	j.bytes += e.cost
}

// ringSize is the size the ring grows to to hold need bytes, besides an
// entry of cost: doubling, or, when doubling would pass the budget, the
// budget's room if that is a quarter more (so that the ring can use the
// whole budget, yet is copied only a few times as it grows).
func (j *journal) ringSize(need int, cost int64) int {
	now := len(j.ring.buf)
	n := max(now, minRing)
	for n < need {
		n *= 2
	}
	if room := j.budget - j.bytes - cost; int64(n) > room && room >= int64(need) && room >= int64(now+now/4) {
		return int(room)
	}
	return n
}

// evictOldest drops the oldest entry and its body.
func (j *journal) evictOldest() {
	o := j.entries[0]
	j.bytes -= o.cost
	j.ring.drop(o.bodyLen)
	j.entries[0] = nil // let the evicted entry go
	j.entries = j.entries[1:]
}

// body returns a copy of e's response body, and false when e has been
// evicted meanwhile (its bytes may have been written over).
func (e *journalEntry) body() ([]byte, bool) {
	j := e.j
	if j == nil {
		return nil, true
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.entries) == 0 || e.ID < j.entries[0].ID {
		return nil, false
	}
	return j.ring.read(make([]byte, 0, e.bodyLen), e.bodyOff, e.bodyLen), true
}

// bodyText returns e's response body as text, "" once evicted.
func (e *journalEntry) bodyText() string {
	b, _ := e.body()
	return string(b)
}

// estimate returns about how many bytes e holds: its strings and headers
// (its body is in the journal's ring), and a fixed share for the structure, maps and slices around them.
func (e *journalEntry) estimate() int64 {
	n := 512 + len(e.URL) + len(e.Host) + len(e.App) + len(e.User) + len(e.Tenant) + len(e.Scope) +
		len(e.ScenarioHeader) + len(e.MockError) + len(e.RequestID) + len(e.GatewayID)
	n += headerBytes(e.reqHeader) + headerBytes(e.ResponseHeader)
	for _, s := range e.Scenarios {
		n += 48 + len(s.Name) + len(s.Source)
	}
	for _, p := range e.Problems {
		n += 128 + len(p.Param) + len(p.Code) + len(p.Message) + len(p.Detail) + len(p.Found)
	}
	n += e.Contract.cost() + len(e.UpstreamError)
	return int64(n)
}

func headerBytes(h http.Header) int {
	n := 64
	for k, vs := range h {
		n += 48 + len(k)
		for _, v := range vs {
			n += 16 + len(v)
		}
	}
	return n
}

// get returns the entry of id, nil when it is not (or no longer) held.
func (j *journal) get(id uint64) *journalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	i := sort.Search(len(j.entries), func(i int) bool { return j.entries[i].ID >= id })
	if i < len(j.entries) && j.entries[i].ID == id {
		return j.entries[i]
	}
	return nil
}

// batch returns up to n entries matching f whose ids lie in [lo, hi], newest
// first when down, oldest first otherwise. It holds the lock only while it
// looks: the caller writes the entries out without it.
func (j *journal) batch(f *journalFilter, lo, hi uint64, down bool, n int) []*journalEntry {
	if lo > hi || n <= 0 {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	es := j.entries
	from := sort.Search(len(es), func(i int) bool { return es[i].ID >= lo })
	to := sort.Search(len(es), func(i int) bool { return es[i].ID > hi })
	var out []*journalEntry
	for k := range to - from {
		i := from + k
		if down {
			i = to - 1 - k
		}
		if f.match(es[i]) {
			out = append(out, es[i])
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// exportBatch is how many entries an export takes from the journal at a time.
const exportBatch = 32

// scan calls fn for the entries matching f (after f.since, f.limit at most),
// newest first, or oldest first when oldestFirst (then the newest f.limit of
// them, as they were when scan began). It takes the entries in batches, so a
// slow reader never holds up the recording of requests; entries evicted
// meanwhile are skipped. It stops when fn returns false.
func (j *journal) scan(f journalFilter, oldestFirst bool, fn func(*journalEntry) bool) {
	lo, hi := f.since+1, uint64(math.MaxUint64)
	if oldestFirst {
		j.mu.Lock()
		hi = j.seq
		found, oldest := 0, uint64(0)
		for i := len(j.entries) - 1; i >= 0 && found < f.limit && j.entries[i].ID >= lo; i-- {
			if f.match(j.entries[i]) {
				found, oldest = found+1, j.entries[i].ID
			}
		}
		if found == 0 {
			hi = 0
		}
		lo = max(lo, oldest)
		j.mu.Unlock()
	}
	for left := f.limit; left > 0; {
		b := j.batch(&f, lo, hi, !oldestFirst, min(left, exportBatch))
		if len(b) == 0 {
			return
		}
		for _, e := range b {
			if !fn(e) {
				return
			}
		}
		left -= len(b)
		if last := b[len(b)-1].ID; oldestFirst {
			lo = last + 1
		} else {
			hi = last - 1
		}
	}
}

func (j *journal) clear() {
	j.mu.Lock()
	j.entries, j.bytes, j.ring = nil, 0, bodyRing{}
	j.mu.Unlock()
}

// journalStats is what the journal holds and may hold.
type journalStats struct {
	Held     int    `json:"held"`
	Size     int    `json:"size"`
	Bytes    int64  `json:"bytes"`
	MaxBytes int64  `json:"max_bytes"`
	LastID   uint64 `json:"last_id"`
}

func (j *journal) stats() journalStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return journalStats{Held: len(j.entries), Size: j.size, Bytes: j.bytes + int64(len(j.ring.buf)), MaxBytes: j.budget, LastID: j.seq}
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
	var tr truncation
	e := &journalEntry{
		Time:           x.start,
		MockTime:       x.mockStart,
		Method:         r.Method,
		URL:            clip(spec.MaskURL(requestURI(r)), maxJournalURL, &tr.URL),
		Host:           clip(r.Host, maxJournalField, &tr.Fields),
		TLS:            r.TLS != nil,
		Tenant:         clip(strings.Join(r.Header[TenantHeader], ", "), maxJournalField, &tr.Fields),
		Scope:          clip(x.scope.String(), maxJournalField, &tr.Fields),
		ScenarioHeader: clip(strings.Join(r.Header[ScenarioHeader], ", "), maxJournalField, &tr.Fields),
		MockError:      x.mockError,
		Status:         x.w.status,
		DurationMS:     float64(d.Microseconds()) / 1000,
		durationExact:  d,
		reqHeader:      r.Header,     // no copy, masked when read
		ResponseHeader: x.w.Header(), // the answer's own map: nothing changes it once the handler is done
		BodySize:       x.w.size,
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
	e.App, e.User = clip(e.App, maxJournalField, &tr.Fields), clip(e.User, maxJournalField, &tr.Fields)
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
	if headerSize(r.Header) > maxJournalHeaders {
		// Masked before it is cut, so that no cut hides a secret from the mask.
		e.reqHeader, e.reqMasked = clipHeader(spec.MaskHeader(r.Header), maxJournalHeaders, &tr.RequestHeaders), true
	}
	body, last := x.w.body, x.w.last
	last = last[:min(len(last), maxJournalBody-len(body))]
	if kept := len(body) + len(last); kept < e.BodySize {
		tr.ResponseBody = &cut{Kept: kept, Size: e.BodySize}
	}
	if x.proxied != nil {
		e.Contract, e.UpstreamError = x.proxied.view()
		e.UpstreamError = clip(e.UpstreamError, maxJournalField, &tr.Fields)
		if e.API == "" {
			e.Contract = nil // not an answer of the API
		}
	}
	if tr != (truncation{}) {
		e.Truncated = &tr
	}
	srv.journal.add(e, body, last)
}

// clip returns the first max bytes of s (a copy, so that the rest can be
// freed) and, when it cut, adds what it cut to *c.
func clip(s string, max int, c **cut) string {
	if len(s) <= max {
		return s
	}
	if *c == nil {
		*c = &cut{}
	}
	(*c).Kept += max
	(*c).Size += len(s)
	return strings.Clone(s[:max])
}

// clipHeader returns h itself when its names and values fit in max bytes;
// otherwise a copy that keeps the smallest headers whole, so that one huge
// header cannot push out the others, cuts the first that does not fit short,
// drops the rest, and sets *c to what it kept of the whole.
func clipHeader(h http.Header, max int, c **cut) http.Header {
	size := headerSize(h)
	if size <= max {
		return h
	}
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range h {
		for _, v := range vs {
			pairs = append(pairs, pair{k, v})
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int {
		if d := len(a.k) + len(a.v) - len(b.k) - len(b.v); d != 0 {
			return d
		}
		return strings.Compare(a.k, b.k)
	})
	out := http.Header{}
	room := max
	for _, p := range pairs {
		if room <= len(p.k) {
			break
		}
		room -= len(p.k)
		v := p.v
		if len(v) > room {
			v = strings.Clone(v[:room])
		}
		room -= len(v)
		out[p.k] = append(out[p.k], v)
	}
	*c = &cut{Kept: max - room, Size: size}
	return out
}

// requestURI returns the path and query of r as sent, r.RequestURI when
// that is one (no copy), else as its URL says.
func requestURI(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// headerSize is the bytes of h's names and values.
func headerSize(h http.Header) int {
	size := 0
	for k, vs := range h {
		for _, v := range vs {
			size += len(k) + len(v)
		}
	}
	return size
}

// requestHeader returns the request's headers, masked.
func (e *journalEntry) requestHeader() http.Header {
	if e.reqMasked {
		return e.reqHeader
	}
	return spec.MaskHeader(e.reqHeader)
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
	tenant   string
	scope    string
	scenario string // a scenario name (with or without argument) or source
	method   string
	path     string // substring of the path
	id       string // a job_request_id or an X-Bkapi-Request-Id
	findings bool   // only entries with contract findings (proxy)
	check    string // only entries with a finding of this check, or of a check under it
	since    uint64 // only entries with a greater id
	limit    int
}

func parseJournalFilter(q url.Values, size int) (journalFilter, *mockError) {
	f := journalFilter{
		status: q.Get("status"), user: q.Get("user"), app: q.Get("app"), tenant: q.Get("tenant"), scope: q.Get("scope"),
		scenario: q.Get("scenario"), method: strings.ToUpper(q.Get("method")), path: q.Get("path"), id: q.Get("request_id"),
		limit: 100,
	}
	f.check = strings.Trim(q.Get("check"), "/")
	switch v := q.Get("findings"); v {
	case "", "0", "false":
	case "1", "true":
		f.findings = true
	default:
		return f, mockBadRequest("findings=%q: want 1 for the entries with contract findings", v)
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
	if f.user != "" && e.User != f.user || f.app != "" && e.App != f.app || f.tenant != "" && e.Tenant != f.tenant || f.scope != "" && e.Scope != f.scope ||
		f.method != "" && e.Method != f.method {
		return false
	}
	if f.id != "" && e.RequestID != f.id && e.GatewayID != f.id {
		return false
	}
	if f.path != "" && !strings.Contains(pathOf(e.URL), f.path) {
		return false
	}
	if (f.findings || f.check != "") && (e.Contract == nil || len(e.Contract.Findings) == 0) {
		return false
	}
	if f.check != "" && !slices.ContainsFunc(e.Contract.Findings, func(x Finding) bool {
		return x.Check == f.check || strings.HasPrefix(x.Check, f.check+"/")
	}) {
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

// view returns a copy of e for JSON, with the response body when withBody.
func (e *journalEntry) view(withBody bool) journalEntry {
	v := *e
	v.RequestHeader = e.requestHeader()
	if withBody {
		if b, ok := e.body(); ok {
			s := string(b)
			v.Body = &s
		}
	}
	return v
}
