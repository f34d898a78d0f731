package mock_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// proxyAuth carries a secret the journal must mask.
const proxyAuth = `{"bk_app_code":"demo","bk_app_secret":"pr0xy-s3cret","bk_username":"admin"}`

// recorder is an upstream that answers what answer says and keeps the
// request it got.
type recorder struct {
	mu     sync.Mutex
	got    *http.Request
	answer http.HandlerFunc
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.got = r.Clone(r.Context())
	rec.mu.Unlock()
	rec.answer(w, r)
}

func (rec *recorder) request() *http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.got
}

// inspections is an Inspect hook that finds rules/invalid/status in every
// answer to status=12, and keeps every answer it is shown.
type inspections struct {
	mu      sync.Mutex
	answers []mock.ProxiedAnswer
	skipped []string
}

func (in *inspections) inspect(a mock.ProxiedAnswer) []mock.Finding {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.answers = append(in.answers, a)
	if strings.Contains(a.RawQuery, "status=12") {
		return []mock.Finding{{Check: "rules/invalid/status", Message: "status=12: got " + http.StatusText(a.Status) + ", auth " + a.Header.Get("X-Bkapi-Authorization")}}
	}
	return nil
}

func (in *inspections) notInspected(reason string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.skipped = append(in.skipped, reason)
}

func (in *inspections) seen() ([]mock.ProxiedAnswer, []string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]mock.ProxiedAnswer(nil), in.answers...), append([]string(nil), in.skipped...)
}

// pdo sends a request and returns the answer, unchecked: what the proxy
// passes on is the upstream's, documented or not.
func pdo(t testing.TB, srv *httptest.Server, method, path, query string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path+"?"+query, nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// newProxy starts a proxy in front of upstream (a URL) with cfg's limits.
func newProxy(t *testing.T, upstream string, cfg mock.ProxyConfig) (*httptest.Server, *inspections) {
	t.Helper()
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	in := &inspections{}
	cfg.Upstream, cfg.Inspect, cfg.NotInspected = u, in.inspect, in.notInspected
	h, err := mock.New(mock.Config{Proxy: &cfg, JournalSize: 100})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, in
}

// proxyEntry is what a test reads of a journal entry of the proxy.
type proxyEntry struct {
	ID             uint64              `json:"id"`
	URL            string              `json:"url"`
	API            string              `json:"api"`
	Status         int                 `json:"status"`
	MockError      string              `json:"mock_error"`
	RequestID      string              `json:"job_request_id"`
	GatewayID      string              `json:"bkapi_request_id"`
	RequestHeader  map[string][]string `json:"request_headers"`
	ResponseHeader map[string][]string `json:"response_headers"`
	UpstreamError  string              `json:"upstream_error"`
	Contract       *struct {
		Inspected bool           `json:"inspected"`
		Findings  []mock.Finding `json:"findings"`
		Note      string         `json:"note"`
	} `json:"contract"`
}

func proxyJournal(t *testing.T, srv *httptest.Server, query string) []proxyEntry {
	t.Helper()
	a := pdo(t, srv, http.MethodGet, "/__mock/requests", query)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var body struct {
		Entries []proxyEntry `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(a.body, &body))
	return body.Entries
}

// The proxy passes the request on unchanged (path, query, headers, the
// auth header with its secret) and the answer back unchanged (status,
// headers, body byte for byte); the journal holds the entry with the
// upstream's ids, secrets masked, and what the inspection found.
func TestProxyForwardsUnchanged(t *testing.T) {
	t.Parallel()
	body := []byte(`{"data":{"job_instance_list":[]},"job_request_id":"0123456789abcdef0123456789abcdef"}` + "\n  ")
	up := &recorder{answer: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Bkapi-Request-Id", "feedfacefeedfacefeedfacefeedface")
		w.Header().Set("X-Upstream", "yes")
		w.Header().Set("Vary", "Origin")
		w.Header().Set("Date", "Sun, 29 Nov 2026 02:00:00 GMT")
		w.WriteHeader(http.StatusTeapot)
		w.Write(body)
	}}
	upstream := httptest.NewServer(up)
	t.Cleanup(upstream.Close)
	srv, in := newProxy(t, upstream.URL+"/stage", mock.ProxyConfig{})

	query := "bk_scope_type=biz&bk_scope_id=2&create_time_start=1&create_time_end=2&status=12&name=%E5%B7%A1+x&name=second"
	req, err := http.NewRequest(http.MethodGet, srv.URL+bkjob.UserAPIPath+"?"+query, nil)
	require.NoError(t, err)
	req.Header.Set("X-Bkapi-Authorization", proxyAuth)
	req.Header.Set("X-Mock-Scenario", "empty")
	req.Header.Set("X-Forwarded-For", "10.1.2.3")
	req.Header.Set(mock.TenantHeader, "tenant-a")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)

	assert.Equal(t, http.StatusTeapot, resp.StatusCode)
	assert.Equal(t, body, got, "the body byte for byte")
	assert.Equal(t, "yes", resp.Header.Get("X-Upstream"))
	assert.Equal(t, []string{"feedfacefeedfacefeedfacefeedface"}, resp.Header.Values("X-Bkapi-Request-Id"), "the upstream's, alone")
	assert.Equal(t, []string{"Sun, 29 Nov 2026 02:00:00 GMT"}, resp.Header.Values("Date"))
	assert.Equal(t, []string{"Origin"}, resp.Header.Values("Vary"), "the upstream's, not twice")
	assert.Empty(t, resp.Header.Get("X-Mock-Error"))

	sent := up.request()
	require.NotNil(t, sent)
	assert.Equal(t, "/stage"+bkjob.UserAPIPath, sent.URL.Path)
	assert.Equal(t, query, sent.URL.RawQuery)
	assert.Equal(t, proxyAuth, sent.Header.Get("X-Bkapi-Authorization"))
	assert.Equal(t, "empty", sent.Header.Get("X-Mock-Scenario"))
	assert.Equal(t, "10.1.2.3", sent.Header.Get("X-Forwarded-For"))
	assert.Equal(t, "tenant-a", sent.Header.Get(mock.TenantHeader))
	assert.Equal(t, strings.TrimPrefix(upstream.URL, "http://"), sent.Host)

	answers, skipped := in.seen()
	require.Len(t, answers, 1)
	assert.Empty(t, skipped)
	assert.Equal(t, body, answers[0].Body)
	assert.Equal(t, query, answers[0].RawQuery)
	assert.False(t, answers[0].System)
	assert.Equal(t, http.StatusTeapot, answers[0].Status)
	assert.Equal(t, upstream.URL+"/stage"+bkjob.UserAPIPath+"?"+query, answers[0].URL)

	entries := proxyJournal(t, srv, "")
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Equal(t, "user", e.API)
	assert.Equal(t, http.StatusTeapot, e.Status)
	assert.Equal(t, "0123456789abcdef0123456789abcdef", e.RequestID, "the upstream's job_request_id")
	assert.Equal(t, "feedfacefeedfacefeedfacefeedface", e.GatewayID)
	require.NotNil(t, e.Contract)
	assert.True(t, e.Contract.Inspected)
	require.Len(t, e.Contract.Findings, 1)
	assert.Equal(t, "rules/invalid/status", e.Contract.Findings[0].Check)
	raw := pdo(t, srv, http.MethodGet, "/__mock/requests", "")
	assert.NotContains(t, string(raw.body), "pr0xy-s3cret", "secrets are masked in the findings too")
	assert.Contains(t, e.RequestHeader["X-Bkapi-Authorization"][0], `"bk_app_secret":"***"`)
}

// The journal's filters findings=1 and check= keep the entries with
// findings; the system API, a path outside the API and a POST are forwarded
// too, the last two without inspection.
func TestProxyJournalFilters(t *testing.T) {
	t.Parallel()
	up := &recorder{answer: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data":{"job_instance_list":[]},"job_request_id":"0123456789abcdef0123456789abcdef"}`)
	}}
	upstream := httptest.NewServer(up)
	t.Cleanup(upstream.Close)
	srv, in := newProxy(t, upstream.URL, mock.ProxyConfig{})

	a := pdo(t, srv, http.MethodGet, bkjob.UserAPIPath, "")
	assert.Equal(t, []string{"Origin"}, a.header.Values("Vary"), "the proxy's CORS varies by Origin")
	for _, r := range []struct {
		method, path, query string
	}{
		{http.MethodGet, bkjob.UserAPIPath, "status=12"},
		{http.MethodGet, bkjob.UserAPIPath, "status=3"},
		{http.MethodGet, bkjob.SystemAPIPath, "status=12"},
		{http.MethodGet, "/api/v4/other", "status=12"},
		{http.MethodPost, bkjob.UserAPIPath, "status=12"},
	} {
		a := pdo(t, srv, r.method, r.path, r.query)
		require.Equal(t, http.StatusOK, a.status, "%s %s", r.method, r.path)
		assert.Equal(t, r.path, up.request().URL.Path)
		assert.Equal(t, r.method, up.request().Method)
	}
	answers, _ := in.seen()
	require.Len(t, answers, 4, "the two API resources, GET")
	assert.True(t, answers[3].System)

	all := proxyJournal(t, srv, "")
	require.Len(t, all, 6)
	assert.Nil(t, all[0].Contract, "a POST is no answer of the API")
	assert.Nil(t, all[1].Contract, "another path is no answer of the API")
	for _, tt := range []struct {
		query string
		want  []string // URLs, newest first
	}{
		{"findings=1", []string{bkjob.SystemAPIPath + "?status=12", bkjob.UserAPIPath + "?status=12"}},
		{"check=rules/invalid/status", []string{bkjob.SystemAPIPath + "?status=12", bkjob.UserAPIPath + "?status=12"}},
		{"check=rules", []string{bkjob.SystemAPIPath + "?status=12", bkjob.UserAPIPath + "?status=12"}},
		{"check=rules/invalid/type", nil},
		{"check=rules/inv", nil},
		{"findings=1&path=system", []string{bkjob.SystemAPIPath + "?status=12"}},
		{"findings=0", []string{"/api/v4/get_job_instance_list?status=12", "/api/v4/other?status=12", bkjob.SystemAPIPath + "?status=12", bkjob.UserAPIPath + "?status=3", bkjob.UserAPIPath + "?status=12", bkjob.UserAPIPath + "?"}},
	} {
		var urls []string
		for _, e := range proxyJournal(t, srv, tt.query) {
			urls = append(urls, e.URL)
		}
		assert.Equal(t, tt.want, urls, tt.query)
	}
	a = pdo(t, srv, http.MethodGet, "/__mock/requests", "findings=yes")
	assert.Equal(t, http.StatusBadRequest, a.status)
}

// When the upstream gives no answer the client gets the gateway's 502,
// when it answers too late the gateway's 504; both journaled with why, and
// neither inspected. The health probe answers whatever the upstream does.
func TestProxyUpstreamErrors(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	down := closed.URL
	closed.Close()

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })

	// Headers at once, then a body that never ends: the timeout still holds.
	stalls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(stalls.Close)

	hangsUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hangsUp.Close)

	for _, tt := range []struct {
		name, upstream string
		status         int
		code           string // X-Mock-Error and the journal's mock_error
		body           string
		reason         string
		note           string
	}{
		{"down", down, http.StatusBadGateway, "upstream-unreachable", `{"code":1650200,"code_name":"BAD_GATEWAY",`, "connection refused", mock.NotInspectedNoAnswer},
		{"hangs up", hangsUp.URL, http.StatusBadGateway, "upstream-unreachable", `{"code":1650200,"code_name":"BAD_GATEWAY",`, "EOF", mock.NotInspectedNoAnswer},
		{"slow", slow.URL, http.StatusGatewayTimeout, "upstream-timeout", `{"code":1650401,"code_name":"REQUEST_BACKEND_TIMEOUT",`, "no answer within 200ms", mock.NotInspectedTimeout},
		{"stalls in the body", stalls.URL, http.StatusGatewayTimeout, "upstream-timeout", `{"code":1650401,"code_name":"REQUEST_BACKEND_TIMEOUT",`, "no answer within 200ms", mock.NotInspectedTimeout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, in := newProxy(t, tt.upstream, mock.ProxyConfig{Timeout: 200 * time.Millisecond})
			a := pdo(t, srv, http.MethodGet, bkjob.UserAPIPath, "bk_scope_type=biz&bk_scope_id=2")
			assert.Equal(t, tt.status, a.status)
			assert.True(t, strings.HasPrefix(string(a.body), tt.body), "%s", a.body)
			assert.Equal(t, tt.code, a.header.Get("X-Mock-Error"))
			assert.Regexp(t, `^[0-9a-f]{32}$`, a.header.Get("X-Bkapi-Request-Id"))
			assert.NotEmpty(t, a.header.Get("X-Bkapi-Error-Code"))

			entries := proxyJournal(t, srv, "")
			require.Len(t, entries, 1)
			e := entries[0]
			assert.Equal(t, tt.status, e.Status)
			assert.Equal(t, tt.code, e.MockError)
			assert.Contains(t, e.UpstreamError, tt.reason)
			require.NotNil(t, e.Contract)
			assert.False(t, e.Contract.Inspected)
			assert.Equal(t, tt.note, e.Contract.Note)
			answers, skipped := in.seen()
			assert.Empty(t, answers)
			assert.Equal(t, []string{tt.note}, skipped)

			h := pdo(t, srv, http.MethodGet, "/__mock/health", "")
			assert.Equal(t, http.StatusOK, h.status)
		})
	}
}

// A body over the inspection budget is passed on whole, uninspected; a
// gzip body is passed on compressed and inspected decompressed; another
// encoding is passed on uninspected.
func TestProxyBodies(t *testing.T) {
	t.Parallel()
	big := []byte(`{"data":{"job_instance_list":[]},"pad":"` + strings.Repeat("x", 5000) + `"}`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(big)
	zw.Close()
	for _, tt := range []struct {
		name     string
		encoding string
		body     []byte
		budget   int64
		inspect  []byte // what Inspect is shown; nil: not inspected
		note     string
	}{
		{"within the budget", "", big, 8 << 10, big, ""},
		{"over the budget", "", big, 4 << 10, nil, mock.NotInspectedBudget},
		{"exactly the budget", "", big, int64(len(big)), big, ""},
		{"a byte over", "", big, int64(len(big)) - 1, nil, mock.NotInspectedBudget},
		{"gzip", "gzip", gz.Bytes(), 8 << 10, big, ""},
		{"gzip over the budget decompressed", "gzip", gz.Bytes(), 4 << 10, nil, mock.NotInspectedBudget},
		{"br", "br", big, 8 << 10, nil, mock.NotInspectedEncoding},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				w.Write(tt.body)
			}))
			t.Cleanup(upstream.Close)
			srv, in := newProxy(t, upstream.URL, mock.ProxyConfig{InspectBytes: tt.budget, Inspectors: 1})
			req, err := http.NewRequest(http.MethodGet, srv.URL+bkjob.UserAPIPath, nil)
			require.NoError(t, err)
			req.Header.Set("Accept-Encoding", "gzip, br") // the client's own: nothing decompresses on the way
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, tt.body, got)
			assert.Equal(t, tt.encoding, resp.Header.Get("Content-Encoding"))

			answers, skipped := in.seen()
			if tt.inspect == nil {
				assert.Empty(t, answers)
				assert.Equal(t, []string{tt.note}, skipped)
				return
			}
			require.Len(t, answers, 1)
			assert.Equal(t, tt.inspect, answers[0].Body)
			assert.Empty(t, skipped)
		})
	}
}

// GET /__mock/config says the server is a proxy, and to where; a mock's
// says nothing of a proxy.
func TestProxyConfigView(t *testing.T) {
	t.Parallel()
	srv, _ := newProxy(t, "http://user:pw@upstream.example:8080/stage", mock.ProxyConfig{})
	a := pdo(t, srv, http.MethodGet, "/__mock/config", "")
	require.Equal(t, http.StatusOK, a.status)
	var cfg struct {
		Proxy map[string]any `json:"proxy"`
	}
	require.NoError(t, json.Unmarshal(a.body, &cfg))
	assert.Equal(t, "http://upstream.example:8080/stage", cfg.Proxy["upstream"], "no credentials")
	assert.Equal(t, "30s", cfg.Proxy["timeout"])

	a = pdo(t, newServer(t), http.MethodGet, "/__mock/config", "")
	require.NoError(t, json.Unmarshal(a.body, &cfg))
	assert.Nil(t, cfg.Proxy)

	for _, bad := range []string{"ftp://x", "http://", "http://x/?q=1"} {
		u, err := url.Parse(bad)
		require.NoError(t, err)
		_, err = mock.New(mock.Config{Proxy: &mock.ProxyConfig{Upstream: u}})
		assert.Error(t, err, bad)
	}
}

// A proxy refuses to switch scenarios on (they would never apply) rather
// than accept them silently; the catalog and the list still answer.
func TestProxyRefusesScenarios(t *testing.T) {
	t.Parallel()
	srv, _ := newProxy(t, "http://upstream.example:8080", mock.ProxyConfig{})
	a := pdo(t, srv, http.MethodPost, "/__mock/scenarios", "")
	assert.Equal(t, http.StatusConflict, a.status)
	assert.Contains(t, string(a.body), `"code":"PROXY_NO_SCENARIOS"`)
	assert.Contains(t, string(a.body), "bkjob-mock serve")
	a = pdo(t, srv, http.MethodGet, "/__mock/scenarios", "")
	assert.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.NotContains(t, string(a.body), `"id"`, "nothing switched on")
}
