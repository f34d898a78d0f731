package mock

import (
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
	b.WriteString("curl -sS -i")
	if e.Method != http.MethodGet {
		b.WriteString(" -X " + e.Method)
	}
	b.WriteString(" " + spec.ShellQuote(e.baseURL()+e.URL))
	keys := make([]string, 0, len(e.RequestHeader))
	for k := range e.RequestHeader {
		if !curlSkip[k] && !strings.HasPrefix(k, "Sec-") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range e.RequestHeader[k] {
			b.WriteString(" \\\n  -H " + spec.ShellQuote(k+": "+v))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the parts the
// journal knows. Custom fields start with an underscore.
type harLog struct {
	Log struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

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

// har writes entries (newest first, as the journal gives them) as a HAR log, oldest first.
func har(entries []*journalEntry) harLog {
	var l harLog
	l.Log.Version = "1.2"
	l.Log.Creator = harCreator{Name: "bkjob-mock", Version: "1"}
	l.Log.Entries = make([]harEntry, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		ms := float64(e.durationExact.Microseconds()) / 1000
		he := harEntry{
			Started: e.Time.Format(time.RFC3339Nano), Time: ms, ID: e.ID,
			Scenarios: e.Scenarios, Problems: e.Problems, RequestID: e.RequestID,
			Timings: harTimings{Wait: ms},
			Request: harRequest{
				Method: e.Method, URL: e.baseURL() + e.URL, HTTPVersion: "HTTP/1.1",
				Cookies: []harNV{}, Headers: harHeaders(e.RequestHeader), QueryString: []harNV{},
				HeadersSize: -1, BodySize: 0,
			},
			Response: harResponse{
				Status: e.Status, StatusText: http.StatusText(e.Status), HTTPVersion: "HTTP/1.1",
				Cookies: []harNV{}, Headers: harHeaders(e.ResponseHeader),
				Content:     harContent{Size: e.BodySize, MimeType: e.ResponseHeader.Get("Content-Type"), Text: string(e.body)},
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
		l.Log.Entries = append(l.Log.Entries, he)
	}
	return l
}

func scenarioNamesOf(us []scenarioUse) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out
}
