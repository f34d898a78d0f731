package mock

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// curlSkip are request headers a curl command does without: curl sets them
// itself, or they only describe the original client.
var curlSkip = map[string]bool{
	"Host": true, "Connection": true, "Content-Length": true, "Accept-Encoding": true, "User-Agent": true,
	"Keep-Alive": true, "Te": true, "Upgrade-Insecure-Requests": true, "Cache-Control": true, "Pragma": true,
}

// baseURL is the URL the request was sent to, as the client named the mock.
func (e *journalEntry) baseURL() string {
	scheme := "http"
	if e.TLS {
		scheme = "https"
	}
	return scheme + "://" + e.Host
}

// curl writes the request as a curl command. Secrets stay masked (***): with
// fixtures that list no apps, any non-empty secret is accepted.
func (e *journalEntry) curl() string {
	var b strings.Builder
	b.WriteString("# bkjob-mock journal entry ")
	b.WriteString(e.Time.UTC().Format(time.RFC3339Nano))
	b.WriteString(", answered ")
	if e.Status == 0 {
		b.WriteString("nothing")
	} else {
		b.WriteString(strconv.Itoa(e.Status) + " " + http.StatusText(e.Status))
	}
	b.WriteString("; secrets are masked as ***\n")
	if e.Tenant != "" {
		b.WriteString("# tenant " + e.Tenant + "\n")
	}
	if _, sources := e.replayScenarios(); len(sources) > 0 {
		b.WriteString("# " + ScenarioHeader + " replays the scenarios " + strings.Join(sources, ", ") +
			" applied\n")
	}
	if t := e.Truncated; t != nil && (t.URL != nil || t.RequestHeaders != nil || t.Fields != nil) {
		b.WriteString("# the journal kept only the start of this request (see \"truncated\" in the entry): the replay differs\n")
	}
	b.WriteString("curl -sS -i")
	if e.Method != http.MethodGet {
		b.WriteString(" -X " + e.Method)
	}
	b.WriteString(" " + spec.ShellQuote(e.baseURL()+e.URL))
	hdr := e.requestHeader()
	keys := make([]string, 0, len(hdr))
	for k := range hdr {
		if !curlSkip[k] && !strings.HasPrefix(k, "Sec-") {
			keys = append(keys, k)
		}
	}
	replay, _ := e.replayScenarios()
	if replay != "" && !slices.Contains(keys, ScenarioHeader) {
		keys = append(keys, ScenarioHeader)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vs := hdr[k]
		if k == ScenarioHeader && replay != "" {
			vs = []string{replay}
		}
		for _, v := range vs {
			b.WriteString(" \\\n  -H " + spec.ShellQuote(k+": "+v))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// replayScenarios returns, when the admin API or fixtures rules applied
// scenarios to the request, an X-Mock-Scenario value that applies the same
// ones again whatever is switched on when it is replayed (X-Mock-Scenario
// wins over both): every scenario the request got, then, when none of them
// decides the answer, none, which keeps the admin API and the rules out of the
// slots left free. It also returns the sources it replays. Both are empty
// when only the request's own header chose scenarios.
func (e *journalEntry) replayScenarios() (value string, sources []string) {
	names := make([]string, 0, len(e.Scenarios)+1)
	for _, u := range e.Scenarios {
		names = append(names, u.Name)
		if u.Source != "header" && !slices.Contains(sources, u.Source) {
			sources = append(sources, u.Source)
		}
	}
	if len(sources) == 0 {
		return "", nil
	}
	answer := false
	for _, n := range names {
		if sc, err := parseScenario(n); err == nil && sc.def.slot == slotAnswer {
			answer = true
		}
	}
	if !answer { // none takes the answer slot: with an answer scenario it would conflict
		names = append(names, "none")
	}
	return strings.Join(names, ", "), sources
}

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the parts the
// journal knows. Custom fields start with an underscore.
type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	Started   string        `json:"startedDateTime"`
	Time      float64       `json:"time"`
	Request   harRequest    `json:"request"`
	Response  harResponse   `json:"response"`
	Cache     struct{}      `json:"cache"`
	Timings   harTimings    `json:"timings"`
	ID        uint64        `json:"_id"`
	Scenarios []scenarioUse `json:"_scenarios,omitempty"`
	Problems  []problemView `json:"_problems,omitempty"`
	RequestID string        `json:"_job_request_id,omitempty"`
	Tenant    string        `json:"_tenant,omitempty"`
	Truncated *truncation   `json:"_truncated,omitempty"`
}

type harRequest struct {
	Method      string  `json:"method"`
	URL         string  `json:"url"`
	HTTPVersion string  `json:"httpVersion"`
	Cookies     []harNV `json:"cookies"`
	Headers     []harNV `json:"headers"`
	QueryString []harNV `json:"queryString"`
	HeadersSize int     `json:"headersSize"`
	BodySize    int     `json:"bodySize"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
	Error       string     `json:"_error,omitempty"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

func harHeaders(h http.Header) []harNV {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := []harNV{}
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, harNV{k, v})
		}
	}
	return out
}

// harEntryOf returns e as a HAR entry.
func harEntryOf(e *journalEntry) harEntry {
	ms := float64(e.durationExact.Microseconds()) / 1000
	he := harEntry{
		Started: e.Time.Format(time.RFC3339Nano), Time: ms, ID: e.ID,
		Scenarios: e.Scenarios, Problems: e.Problems, RequestID: e.RequestID, Tenant: e.Tenant, Truncated: e.Truncated,
		Timings: harTimings{Wait: ms},
		Request: harRequest{
			Method: e.Method, URL: e.baseURL() + e.URL, HTTPVersion: "HTTP/1.1",
			Cookies: []harNV{}, Headers: harHeaders(e.requestHeader()), QueryString: []harNV{},
			HeadersSize: -1, BodySize: 0,
		},
		Response: harResponse{
			Status: e.Status, StatusText: http.StatusText(e.Status), HTTPVersion: "HTTP/1.1",
			Cookies: []harNV{}, Headers: harHeaders(e.ResponseHeader),
			Content:     harContent{Size: e.BodySize, MimeType: e.ResponseHeader.Get("Content-Type"), Text: e.bodyText()},
			HeadersSize: -1, BodySize: e.BodySize,
		},
	}
	if _, rawQuery, ok := strings.Cut(e.URL, "?"); ok {
		for pair := range strings.SplitSeq(rawQuery, "&") {
			k, v, _ := strings.Cut(pair, "=")
			uk, err1 := url.QueryUnescape(k)
			uv, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil {
				uk, uv = k, v
			}
			he.Request.QueryString = append(he.Request.QueryString, harNV{uk, uv})
		}
	}
	if e.Status == 0 {
		he.Response.Error = "no answer: " + strings.Join(scenarioNamesOf(e.Scenarios), ", ")
	}
	return he
}

func scenarioNamesOf(us []scenarioUse) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out
}

// maxExports is how many journal exports (list, entry, curl, HAR) the mock
// answers at once; more get a 429. Each export holds at most exportBatch
// entries beyond the journal itself.
const maxExports = 4

// limitExports answers a journal export when fewer than maxExports are
// being answered, and a 429 TOO_MANY_EXPORTS otherwise.
func (srv *Server) limitExports(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case srv.exports <- struct{}{}:
			defer func() { <-srv.exports }()
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "1")
			writeMockError(w, &mockError{status: http.StatusTooManyRequests, Code: "TOO_MANY_EXPORTS",
				Message: fmt.Sprintf("the mock answers at most %d journal exports (list, entry, curl, HAR) at once; retry when one has finished", maxExports)})
		}
	})
}

// jsonStream writes one JSON document piece by piece: literal text between
// values, and each value encoded on its own, so that an export never holds
// more than one entry's encoding.
type jsonStream struct {
	bw  *bufio.Writer
	enc *json.Encoder
	err error
}

// newJSONStream starts a 200 JSON answer on w.
func newJSONStream(w http.ResponseWriter) *jsonStream {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 16<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &jsonStream{bw: bw, enc: enc}
}

func (s *jsonStream) raw(text string) {
	if s.err == nil {
		_, s.err = s.bw.WriteString(text)
	}
}

func (s *jsonStream) value(v any) {
	if s.err == nil {
		s.err = s.enc.Encode(v)
	}
}

// close flushes what is buffered and returns the first error (the client gone).
func (s *jsonStream) close() error {
	if s.err == nil {
		s.err = s.bw.Flush()
	}
	return s.err
}

// writeEntries writes the entries f selects, newest first, as the list of
// GET /__mock/requests: the journal's figures, then the entries one by one.
func (srv *Server) writeEntries(w http.ResponseWriter, f journalFilter, withBody bool) {
	st := srv.journal.stats()
	s := newJSONStream(w)
	s.raw(fmt.Sprintf(`{"size":%d,"held":%d,"bytes":%d,"max_bytes":%d,"last_id":%d,"entries":[`, st.Size, st.Held, st.Bytes, st.MaxBytes, st.LastID))
	first := true
	srv.journal.scan(f, false, func(e *journalEntry) bool {
		if !first {
			s.raw(",")
		}
		first = false
		s.value(e.view(withBody))
		return s.err == nil
	})
	s.raw("]}\n")
	s.close()
}

// writeHAR writes the entries f selects (the newest f.limit), oldest first,
// as a HAR log, entry by entry.
func (srv *Server) writeHAR(w http.ResponseWriter, f journalFilter) {
	w.Header().Set("Content-Disposition", `attachment; filename="bkjob-mock.har"`)
	s := newJSONStream(w)
	s.raw(`{"log":{"version":"1.2","creator":{"name":"bkjob-mock","version":"1"},"entries":[`)
	first := true
	srv.journal.scan(f, true, func(e *journalEntry) bool {
		if !first {
			s.raw(",")
		}
		first = false
		s.value(harEntryOf(e))
		return s.err == nil
	})
	s.raw("]}}\n")
	s.close()
}
