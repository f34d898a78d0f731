package mock_test

// Rewrite the scenario table of docs/scenarios.md from the catalog:
//   go test ./mock -run CatalogInReadme -update-readme

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the scenario table in docs/scenarios.md from the catalog")

func readFile(name string) ([]byte, error)     { return os.ReadFile(name) }
func writeFile(name string, data []byte) error { return os.WriteFile(name, data, 0o644) }

type scenarioUse struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

type problemView struct {
	Param    string `json:"param"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Detail   string `json:"detail"`
	Found    string `json:"found"`
	Reported bool   `json:"reported"`
}

type journalEntry struct {
	ID             uint64              `json:"id"`
	Method         string              `json:"method"`
	URL            string              `json:"url"`
	API            string              `json:"api"`
	App            string              `json:"app"`
	User           string              `json:"user"`
	Scope          string              `json:"scope"`
	ScenarioHeader string              `json:"scenario_header"`
	Scenarios      []scenarioUse       `json:"scenarios"`
	Problems       []problemView       `json:"problems"`
	MockError      string              `json:"mock_error"`
	Status         int                 `json:"status"`
	DurationMS     float64             `json:"duration_ms"`
	RequestID      string              `json:"job_request_id"`
	RequestHeader  map[string][]string `json:"request_headers"`
	ResponseHeader map[string][]string `json:"response_headers"`
	ResponseSize   int                 `json:"response_size"`
	ResponseBody   *string             `json:"response_body"`
}

// journalEntries reads GET /__mock/requests?query, newest first.
func journalEntries(t *testing.T, srv *httptest.Server, query string) []journalEntry {
	t.Helper()
	a := do(t, srv, http.MethodGet, "/__mock/requests", query, nil)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var body struct {
		Size    int            `json:"size"`
		Entries []journalEntry `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(a.body, &body))
	return body.Entries
}

func TestJournalRecords(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	get(t, srv, biz2, adminAuth)
	a := get(t, srv, biz2+"&status=12&length=500&offset=x&type=9", zhangsanAuth, "Blueking-Language", "en")
	require.Equal(t, 400, a.status)
	get(t, srv, biz2, appOnlyAuth) // refused by the gateway
	do(t, srv, http.MethodGet, bkjob.SystemAPIPath, "bk_scope_type=biz&bk_scope_id=3&"+window, map[string]string{"X-Bkapi-Authorization": appOnlyAuth, mock.ScenarioHeader: "gateway-timeout"})
	do(t, srv, http.MethodPost, "/api/v4/nope", "", nil)
	do(t, srv, http.MethodGet, "/__mock/health", "", nil) // the admin API is not journaled

	es := journalEntries(t, srv, "")
	require.Len(t, es, 5)
	notFound, gw, refused, bad, ok := es[0], es[1], es[2], es[3], es[4]

	assert.Equal(t, "GET", ok.Method)
	assert.Equal(t, bkjob.UserAPIPath+"?"+biz2, ok.URL)
	assert.Equal(t, "user", ok.API)
	assert.Equal(t, "demo", ok.App)
	assert.Equal(t, "admin", ok.User)
	assert.Equal(t, "biz:2", ok.Scope)
	assert.Equal(t, 200, ok.Status)
	assert.Regexp(t, hex32, ok.RequestID)
	assert.Positive(t, ok.DurationMS)
	assert.Equal(t, []string{"application/json"}, ok.ResponseHeader["Content-Type"])
	assert.Nil(t, ok.ResponseBody, "the list leaves bodies out unless body=1")

	// Every validation problem, the reported one first.
	assert.Equal(t, "zhangsan", bad.User)
	require.Len(t, bad.Problems, 4, "%+v", bad.Problems)
	assert.Equal(t, problemView{Param: "offset", Code: "INVALID_ARGUMENT", Message: "Parameter [offset] type mismatch", Found: bad.Problems[0].Found, Reported: true}, bad.Problems[0])
	var params []string
	for _, p := range bad.Problems[1:] {
		params = append(params, p.Param)
		assert.False(t, p.Reported)
	}
	assert.Equal(t, []string{"length", "status", "type"}, params)
	assert.Equal(t, "The param 'length' must be in range: [1,200]", bad.Problems[1].Detail)
	var body map[string]any
	require.NoError(t, json.Unmarshal(a.body, &body))
	assert.Equal(t, body["job_request_id"], bad.RequestID)

	assert.Equal(t, 400, refused.Status)
	assert.Equal(t, "demo", refused.App, "who the request claimed to be")

	assert.Equal(t, "system", gw.API)
	assert.Equal(t, 504, gw.Status)
	assert.Equal(t, "gateway-timeout", gw.ScenarioHeader)
	assert.Equal(t, []scenarioUse{{"gateway-timeout", "header"}}, gw.Scenarios)
	assert.Equal(t, "biz:3", gw.Scope)

	assert.Equal(t, 404, notFound.Status)
	assert.Empty(t, notFound.API)
	assert.Empty(t, notFound.RequestID)

	// One entry with its body.
	one := do(t, srv, http.MethodGet, "/__mock/requests/"+itoa(int64(bad.ID)), "", nil)
	require.Equal(t, 200, one.status)
	var full journalEntry
	require.NoError(t, json.Unmarshal(one.body, &full))
	require.NotNil(t, full.ResponseBody)
	assert.JSONEq(t, string(a.body), *full.ResponseBody)
	assert.Equal(t, len(a.body), full.ResponseSize)
	assert.Equal(t, 404, do(t, srv, http.MethodGet, "/__mock/requests/999", "", nil).status)
}

func TestJournalFilters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	get(t, srv, biz2, adminAuth)                                                                                   // 1
	get(t, srv, "bk_scope_type=biz&bk_scope_id=3&"+window, zhangsanAuth)                                           // 2: 403
	get(t, srv, biz2, zhangsanAuth, mock.ScenarioHeader, "internal-error")                                         // 3: 500
	get(t, srv, "bk_scope_type=biz&bk_scope_id=999&"+window, adminAuth)                                            // 4: 404
	do(t, srv, http.MethodGet, bkjob.SystemAPIPath, biz2, map[string]string{"X-Bkapi-Authorization": appOnlyAuth}) // 5

	ids := func(q string) []uint64 {
		var out []uint64
		for _, e := range journalEntries(t, srv, q) {
			out = append(out, e.ID)
		}
		return out
	}
	assert.Equal(t, []uint64{5, 4, 3, 2, 1}, ids(""))
	assert.Equal(t, []uint64{2}, ids("status=403"))
	assert.Equal(t, []uint64{4, 2}, ids("status=4xx"))
	assert.Equal(t, []uint64{5, 1}, ids("status=2xx"))
	assert.Equal(t, []uint64{3, 2}, ids("user=zhangsan"))
	assert.Equal(t, []uint64{5, 3, 1}, ids("scope=biz:2"))
	assert.Equal(t, []uint64{3}, ids("scenario=internal-error"))
	assert.Equal(t, []uint64{3}, ids("scenario=header"))
	assert.Equal(t, []uint64{5}, ids("path=/system/"))
	assert.Equal(t, []uint64{5, 4}, ids("limit=2"))
	assert.Equal(t, []uint64{5, 4}, ids("since=3"))
	assert.Equal(t, []uint64{5}, ids("app=demo&scope=biz:2&status=200&limit=1"))
	for _, q := range []string{"status=abc", "since=-1", "limit=0"} {
		a := do(t, srv, http.MethodGet, "/__mock/requests", q, nil)
		assert.Equal(t, http.StatusBadRequest, a.status, q)
	}
}

func TestJournalBounds(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *mock.Config) { c.JournalSize = 5 })
	for i := range 8 {
		get(t, srv, biz2+"&length="+itoa(int64(i+1)), adminAuth)
	}
	es := journalEntries(t, srv, "limit=100")
	require.Len(t, es, 5, "keeps the last N")
	for i, e := range es {
		assert.EqualValues(t, 8-i, e.ID)
		assert.Contains(t, e.URL, "&length="+itoa(int64(8-i)))
	}
	a := do(t, srv, http.MethodGet, "/__mock/config", "", nil)
	assert.Contains(t, string(a.body), `"journal":{"bytes":`)
	assert.Contains(t, string(a.body), `"enabled":true,"held":5,"last_id":8,"max_bytes":67108864,"size":5}`)

	assert.Equal(t, http.StatusNoContent, adminWrite(t, srv, http.MethodDelete, "/__mock/requests", nil).status)
	assert.Empty(t, journalEntries(t, srv, ""))
	get(t, srv, biz2, adminAuth)
	es = journalEntries(t, srv, "")
	require.Len(t, es, 1)
	assert.EqualValues(t, 9, es[0].ID, "ids keep growing after a clear")

	off := newServer(t, func(c *mock.Config) { c.JournalSize = 0 })
	assert.Equal(t, 200, get(t, off, biz2, adminAuth).status)
	assert.Equal(t, http.StatusNotFound, do(t, off, http.MethodGet, "/__mock/requests", "", nil).status)
}

func TestJournalMasksSecrets(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	secrets := []string{"S3CRET-app", "S1GNATURE", "T0KEN-bk", "ACCESS-t0ken", "QUERY-s3cret", "COOKIE-t0ken", "ADMIN-T0KEN", "ESCAPED-s3cret",
		"ENCODED-k3y", "AFTER-c0mma", "BROKEN-esc4ped", "TICKET-c00kie", "SESSION-c00kie", "GATEWAY-jwt"}
	get(t, srv, biz2, `{"bk_app_code":"demo","bk_app_secret":"S3CRET-app","bk_username":"admin"}`)
	get(t, srv, biz2, `{"bk_app_code":"demo", "bk_signature" : "S1GNATURE", "bk_token":"T0KEN-bk"}`)
	get(t, srv, biz2+"&bk_app_secret=QUERY-s3cret", `{"bk_app_code":"demo","bk_app_secret":"x","access_token":"ACCESS-t0ken"}`,
		"Cookie", "lang=zh; bk_token=COOKIE-t0ken", "Authorization", "Bearer ADMIN-T0KEN")
	get(t, srv, biz2, `{"bk_app_code":"demo","bk_app_secr\u0065t":"ESCAPED-s3cret","bk_username":"admin"}`)
	get(t, srv, biz2, `{"bk_app_code":"demo","bk_app_secret":"S3CRET-app"`) // not even JSON
	get(t, srv, biz2+"&bk%5Ftoken=ENCODED-k3y&bk_token=a,AFTER-c0mma", `{"bk_app_code":"demo","bk_app_secr\u0065t":"BROKEN-esc4ped"`,
		"Cookie", "bk_ticket=TICKET-c00kie; sessionid=SESSION-c00kie", "X-Bkapi-Jwt", "GATEWAY-jwt")

	list := do(t, srv, http.MethodGet, "/__mock/requests", "body=1", nil)
	har := do(t, srv, http.MethodGet, "/__mock/requests.har", "", nil)
	var curls []string
	for _, e := range journalEntries(t, srv, "") {
		c := do(t, srv, http.MethodGet, "/__mock/requests/"+itoa(int64(e.ID))+"/curl", "", nil)
		require.Equal(t, 200, c.status)
		curls = append(curls, string(c.body))
		one := do(t, srv, http.MethodGet, "/__mock/requests/"+itoa(int64(e.ID)), "", nil)
		curls = append(curls, string(one.body))
	}
	all := string(list.body) + string(har.body) + strings.Join(curls, "\n")
	for _, s := range secrets {
		assert.NotContains(t, all, s)
	}
	assert.Contains(t, all, `\"bk_app_secret\":\"***\"`)
	assert.Contains(t, all, "bk_token=***")
	assert.Contains(t, all, "bk_app_secret=***")
	assert.Contains(t, all, `"bk_username":"admin"`, "what is not secret stays")
}

func TestJournalCurlAndHAR(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	get(t, srv, biz2+"&name=it's", adminAuth, mock.ScenarioHeader, "no-permission", "Blueking-Language", "en")
	get(t, srv, biz2, adminAuth)
	e := journalEntries(t, srv, "limit=1&status=403")[0]

	c := do(t, srv, http.MethodGet, "/__mock/requests/"+itoa(int64(e.ID))+"/curl", "", nil)
	assert.Equal(t, "text/plain; charset=utf-8", c.header.Get("Content-Type"))
	lines := strings.Split(strings.TrimSpace(string(c.body)), "\n")
	require.GreaterOrEqual(t, len(lines), 4, "%s", c.body)
	assert.True(t, strings.HasPrefix(lines[0], "# "))
	assert.Equal(t, `curl -sS -i '`+srv.URL+bkjob.UserAPIPath+"?"+biz2+`&name=it'\''s' \`, lines[1])
	assert.Contains(t, string(c.body), `-H 'Blueking-Language: en'`)
	assert.Contains(t, string(c.body), `-H 'X-Bkapi-Authorization: {"bk_app_code":"demo","bk_app_secret":"***","bk_username":"admin"}'`)
	assert.Contains(t, string(c.body), `-H 'X-Mock-Scenario: no-permission'`)
	assert.NotContains(t, string(c.body), "User-Agent")

	h := do(t, srv, http.MethodGet, "/__mock/requests.har", "", nil)
	require.Equal(t, 200, h.status)
	var har struct {
		Log struct {
			Version string `json:"version"`
			Creator struct {
				Name string `json:"name"`
			} `json:"creator"`
			Entries []struct {
				Started string  `json:"startedDateTime"`
				Time    float64 `json:"time"`
				Request struct {
					Method      string              `json:"method"`
					URL         string              `json:"url"`
					Headers     []map[string]string `json:"headers"`
					QueryString []map[string]string `json:"queryString"`
				} `json:"request"`
				Response struct {
					Status  int `json:"status"`
					Content struct {
						MimeType string `json:"mimeType"`
						Text     string `json:"text"`
					} `json:"content"`
				} `json:"response"`
				Scenarios []scenarioUse `json:"_scenarios"`
			} `json:"entries"`
		} `json:"log"`
	}
	require.NoError(t, json.Unmarshal(h.body, &har))
	assert.Equal(t, "1.2", har.Log.Version)
	assert.Equal(t, "bkjob-mock", har.Log.Creator.Name)
	require.Len(t, har.Log.Entries, 2)
	first := har.Log.Entries[0]
	assert.Equal(t, 403, first.Response.Status, "oldest first")
	assert.Equal(t, "application/json", first.Response.Content.MimeType)
	assert.Contains(t, first.Response.Content.Text, "NO_PERMISSION")
	assert.Contains(t, first.Request.QueryString, map[string]string{"name": "name", "value": "it's"})
	assert.Equal(t, []scenarioUse{{"no-permission", "header"}}, first.Scenarios)
	assert.Equal(t, srv.URL+bkjob.UserAPIPath+"?"+biz2+"&name=it's", first.Request.URL)

	h = do(t, srv, http.MethodGet, "/__mock/requests.har", "status=200", nil)
	require.NoError(t, json.Unmarshal(h.body, &har))
	assert.Len(t, har.Log.Entries, 1, "same filters as the list")
}
