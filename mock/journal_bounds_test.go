package mock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// serveDirect sends a request straight to h, as a loopback client naming the
// mock by its IP, and returns the recorder.
func serveDirect(h http.Handler, path, query string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path+"?"+query, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

type journalFigures struct {
	Held     int   `json:"held"`
	Size     int   `json:"size"`
	Bytes    int64 `json:"bytes"`
	MaxBytes int64 `json:"max_bytes"`
}

// TestJournalByteBudget fills a journal of 1 MiB with requests carrying 60 KB
// of headers and asking for 200 items: the journal evicts the oldest entries
// to stay within its budget, keeps 16 KiB of each request's headers and says
// so, and the heap grows by about the budget, not by the traffic. Not
// parallel: it measures the heap.
func TestJournalByteBudget(t *testing.T) {
	const budget = 1 << 20
	h := newHandler(t, func(c *mock.Config) { c.JournalBytes = budget })
	big := strings.Repeat("x", 60<<10)
	query := biz2 + "&length=200"
	require.Equal(t, 200, serveDirect(h, bkjob.UserAPIPath, query, "X-Bkapi-Authorization", adminAuth).Code) // the history's days
	require.Equal(t, http.StatusNoContent, adminDelete(h, "/__mock/requests"))
	before := heapAfterGC()
	const n = 300
	for range n {
		rec := serveDirect(h, bkjob.UserAPIPath, query, "X-Bkapi-Authorization", adminAuth, "X-Big", big)
		require.Equal(t, 200, rec.Code)
	}
	grown := int64(heapAfterGC()) - int64(before)
	t.Logf("heap grew %d KiB for %d requests of %d KiB headers", grown>>10, n, len(big)>>10)
	assert.Less(t, grown, int64(3*budget), "the heap grows by about the budget")

	var cfg struct {
		Journal journalFigures `json:"journal"`
	}
	require.NoError(t, json.Unmarshal(serveDirect(h, "/__mock/config", "").Body.Bytes(), &cfg))
	j := cfg.Journal
	assert.EqualValues(t, budget, j.MaxBytes)
	assert.LessOrEqual(t, j.Bytes, j.MaxBytes)
	assert.Less(t, j.Held, n/10, "the byte budget, not the count, evicts")
	assert.Greater(t, j.Held, 2)

	list := serveDirect(h, "/__mock/requests", "limit=1000")
	var body struct {
		journalFigures
		Entries []struct {
			ID        int `json:"id"`
			Truncated struct {
				RequestHeaders *struct{ Kept, Size int } `json:"request_headers"`
				ResponseBody   *struct{ Kept, Size int } `json:"response_body"`
			} `json:"truncated"`
			RequestHeader map[string][]string `json:"request_headers"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(list.Body.Bytes(), &body))
	require.Len(t, body.Entries, j.Held)
	newest := body.Entries[0]
	assert.Equal(t, n+1, newest.ID)
	assert.Equal(t, n+2-j.Held, body.Entries[len(body.Entries)-1].ID, "the oldest went first")
	require.NotNil(t, newest.Truncated.RequestHeaders, "the cut is marked")
	assert.Equal(t, 16<<10, newest.Truncated.RequestHeaders.Kept)
	assert.Greater(t, newest.Truncated.RequestHeaders.Size, 60<<10)
	assert.Nil(t, newest.Truncated.ResponseBody, "200 items fit")
	assert.Equal(t, []string{adminAuthMasked}, newest.RequestHeader["X-Bkapi-Authorization"], "the small headers are kept whole")
	assert.Less(t, len(newest.RequestHeader["X-Big"][0]), 16<<10)

	gone := serveDirect(h, "/__mock/requests/2", "")
	assert.Equal(t, http.StatusNotFound, gone.Code)
	assert.Contains(t, gone.Body.String(), "within 1048576 bytes")
	runtime.KeepAlive(h)
}

const adminAuthMasked = `{"bk_app_code":"demo","bk_app_secret":"***","bk_username":"admin"}`

func adminDelete(h http.Handler, path string) int {
	req := httptest.NewRequest(http.MethodDelete, "http://127.0.0.1"+path, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// TestJournalGrowsLazily: a journal of a million entries takes nothing until
// requests come. Not parallel: it measures the heap.
func TestJournalGrowsLazily(t *testing.T) {
	before := heapAfterGC()
	h := newHandler(t, func(c *mock.Config) { c.JournalSize = 1_000_000 })
	grown := int64(heapAfterGC()) - int64(before)
	assert.Less(t, grown, int64(1<<20), "no slot is allocated ahead (a million pointers would be 8 MB)")
	runtime.KeepAlive(h)
}

func TestJournalTenantAndFields(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	get(t, srv, biz2, adminAuth, mock.TenantHeader, "tenant-a")
	get(t, srv, biz2, adminAuth, mock.TenantHeader, strings.Repeat("t", 5000))
	get(t, srv, biz2, adminAuth)

	var list struct {
		Entries []struct {
			ID        int    `json:"id"`
			Tenant    string `json:"tenant"`
			Truncated struct {
				Fields *struct{ Kept, Size int } `json:"fields"`
			} `json:"truncated"`
		} `json:"entries"`
	}
	a := do(t, srv, http.MethodGet, "/__mock/requests", "", nil)
	require.NoError(t, json.Unmarshal(a.body, &list))
	require.Len(t, list.Entries, 3)
	assert.Empty(t, list.Entries[0].Tenant)
	assert.Len(t, list.Entries[1].Tenant, 1024, "kept short")
	require.NotNil(t, list.Entries[1].Truncated.Fields)
	assert.Equal(t, struct{ Kept, Size int }{1024, 5000}, *list.Entries[1].Truncated.Fields)
	assert.Equal(t, "tenant-a", list.Entries[2].Tenant)

	only := do(t, srv, http.MethodGet, "/__mock/requests", "tenant=tenant-a", nil)
	require.NoError(t, json.Unmarshal(only.body, &list))
	require.Len(t, list.Entries, 1, "the tenant filter")
	assert.Equal(t, 1, list.Entries[0].ID)

	har := do(t, srv, http.MethodGet, "/__mock/requests.har", "tenant=tenant-a", nil)
	assert.Contains(t, string(har.body), `"_tenant":"tenant-a"`)
	c := do(t, srv, http.MethodGet, "/__mock/requests/1/curl", "", nil)
	assert.Contains(t, string(c.body), "# tenant tenant-a\n")
	assert.Contains(t, string(c.body), `-H 'X-Bk-Tenant-Id: tenant-a'`)
}

// TestJournalCurlReplaysScenarios: the curl command of a request the admin
// API switched a scenario on for gets the same answer once it is switched off.
func TestJournalCurlReplaysScenarios(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	created := adminWrite(t, srv, http.MethodPost, "/__mock/scenarios", map[string]any{"scenario": "no-permission", "scope": "biz:2"})
	require.Equal(t, http.StatusCreated, created.status, "%s", created.body)
	first := get(t, srv, biz2, zhangsanAuth, mock.ScenarioHeader, "latency:1ms")
	require.Equal(t, http.StatusForbidden, first.status)
	e := journalEntries(t, srv, "limit=1")[0]
	require.ElementsMatch(t, []scenarioUse{{"latency:1ms", "header"}, {"no-permission", "admin:1"}}, e.Scenarios)

	curl := string(do(t, srv, http.MethodGet, "/__mock/requests/"+itoa(int64(e.ID))+"/curl", "", nil).body)
	assert.Contains(t, curl, "# X-Mock-Scenario replays the scenarios admin:1 applied")
	require.Equal(t, http.StatusNoContent, adminWrite(t, srv, http.MethodDelete, "/__mock/scenarios", nil).status)
	assert.Equal(t, 200, get(t, srv, biz2, zhangsanAuth).status, "switched off")

	url, header := parseCurl(t, curl)
	assert.Equal(t, []string{"no-permission, latency:1ms"}, header[mock.ScenarioHeader], "every scenario applied")
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header = header
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var again, orig map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&again))
	require.NoError(t, json.Unmarshal(first.body, &orig))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "the replay gets the answer the scenario gave")
	delete(again, "job_request_id") // the masked secret makes it another request
	delete(orig, "job_request_id")
	assert.Equal(t, orig, again)

	// A delay from the admin API: none keeps today's switches out of the free slots.
	created = adminWrite(t, srv, http.MethodPost, "/__mock/scenarios", map[string]any{"scenario": "latency:1ms"})
	require.Equal(t, http.StatusCreated, created.status, "%s", created.body)
	get(t, srv, biz2, zhangsanAuth)
	e = journalEntries(t, srv, "limit=1")[0]
	_, header = parseCurl(t, string(do(t, srv, http.MethodGet, "/__mock/requests/"+itoa(int64(e.ID))+"/curl", "", nil).body))
	assert.Equal(t, []string{"latency:1ms, none"}, header[mock.ScenarioHeader])

	// A request whose scenarios all came from its own header replays as sent.
	require.Equal(t, http.StatusNoContent, adminWrite(t, srv, http.MethodDelete, "/__mock/scenarios", nil).status)
	get(t, srv, biz2, zhangsanAuth, mock.ScenarioHeader, "empty")
	e = journalEntries(t, srv, "limit=1")[0]
	_, header = parseCurl(t, string(do(t, srv, http.MethodGet, "/__mock/requests/"+itoa(int64(e.ID))+"/curl", "", nil).body))
	assert.Equal(t, []string{"empty"}, header[mock.ScenarioHeader])
}

// parseCurl reads the URL and headers of a curl command the journal wrote.
func parseCurl(t *testing.T, cmd string) (string, http.Header) {
	t.Helper()
	unquote := func(s string) string {
		s = strings.TrimSuffix(strings.TrimSpace(s), `\`)
		s = strings.TrimSpace(s)
		require.True(t, strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'"), "quoted: %s", s)
		return strings.ReplaceAll(s[1:len(s)-1], `'\''`, `'`)
	}
	var url string
	header := http.Header{}
	for _, line := range strings.Split(cmd, "\n") {
		switch {
		case strings.HasPrefix(line, "curl "):
			url = unquote(strings.TrimPrefix(line, "curl -sS -i "))
		case strings.HasPrefix(line, "  -H "):
			k, v, ok := strings.Cut(unquote(strings.TrimPrefix(line, "  -H ")), ": ")
			require.True(t, ok, line)
			header.Add(k, v)
		}
	}
	require.NotEmpty(t, url, cmd)
	return url, header
}

// maxWriter records the largest single Write an answer was made of.
type maxWriter struct {
	*httptest.ResponseRecorder
	max, total int
}

func (m *maxWriter) Write(b []byte) (int, error) {
	m.max = max(m.max, len(b))
	m.total += len(b)
	return m.ResponseRecorder.Write(b)
}

func (m *maxWriter) WriteString(s string) (int, error) { return m.Write([]byte(s)) }

// TestJournalExportsStream: the list and the HAR of a journal of several
// megabytes are written entry by entry, never built whole.
func TestJournalExportsStream(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	for range 60 {
		require.Equal(t, 200, serveDirect(h, bkjob.UserAPIPath, biz2+"&length=200", "X-Bkapi-Authorization", adminAuth).Code)
	}
	for _, path := range []string{"/__mock/requests?body=1&limit=1000", "/__mock/requests.har"} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
		w := &maxWriter{ResponseRecorder: httptest.NewRecorder()}
		h.ServeHTTP(w, req)
		require.Equal(t, 200, w.Code, path)
		assert.Greater(t, w.total, 3<<20, path)
		assert.Less(t, w.max, 256<<10, "%s: written entry by entry", path)
		assert.True(t, json.Valid(w.Body.Bytes()), path)
	}
}

// blockingWriter holds an export in its first Write until released.
type blockingWriter struct {
	*httptest.ResponseRecorder
	once    sync.Once
	writing chan struct{}
	release chan struct{}
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.writing) })
	<-b.release
	return b.ResponseRecorder.Write(p)
}

func (b *blockingWriter) WriteString(s string) (int, error) { return b.Write([]byte(s)) }

func TestJournalExportLimit(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	serveDirect(h, bkjob.UserAPIPath, biz2, "X-Bkapi-Authorization", adminAuth)
	release := make(chan struct{})
	var wg sync.WaitGroup
	exports := []string{"/__mock/requests", "/__mock/requests.har", "/__mock/requests/1", "/__mock/requests/1/curl"}
	for _, path := range exports {
		w := &blockingWriter{ResponseRecorder: httptest.NewRecorder(), writing: make(chan struct{}), release: release}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
			h.ServeHTTP(w, req)
		}()
		<-w.writing
	}
	for _, path := range exports {
		rec := serveDirect(h, path, "")
		assert.Equal(t, http.StatusTooManyRequests, rec.Code, path)
		assert.Equal(t, "TOO_MANY_EXPORTS", rec.Header().Get("X-Mock-Error"))
		assert.Equal(t, "1", rec.Header().Get("Retry-After"))
		assert.Contains(t, rec.Body.String(), `{"mock_error":{"code":"TOO_MANY_EXPORTS","message":"the mock answers at most 4 journal exports`)
	}
	assert.Equal(t, 200, serveDirect(h, "/__mock/config", "").Code, "other admin reads are not exports")
	close(release)
	wg.Wait()
	assert.Equal(t, 200, serveDirect(h, "/__mock/requests", "").Code, "free again")
}

func TestJournalHARLast(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for range 5 {
		get(t, srv, biz2, adminAuth)
	}
	get(t, srv, biz2, zhangsanAuth, mock.ScenarioHeader, "empty")
	var har struct {
		Log struct {
			Entries []struct {
				ID int `json:"_id"`
			} `json:"entries"`
		} `json:"log"`
	}
	ids := func(query string) []int {
		a := do(t, srv, http.MethodGet, "/__mock/requests.har", query, nil)
		require.Equal(t, 200, a.status, "%s", a.body)
		require.NoError(t, json.Unmarshal(a.body, &har))
		var out []int
		for _, e := range har.Log.Entries {
			out = append(out, e.ID)
		}
		return out
	}
	assert.Equal(t, []int{5, 6}, ids("last=2"), "the newest two, oldest first")
	assert.Equal(t, []int{4, 5}, ids("last=2&user=admin"), "after the filters")
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6}, ids(""))
	assert.Equal(t, []int{6}, ids("limit=1"))
	bad := do(t, srv, http.MethodGet, "/__mock/requests.har", "last=x", nil)
	assert.Equal(t, http.StatusBadRequest, bad.status)
	assert.Contains(t, string(bad.body), `last=\"x\": want a positive number`)
}
