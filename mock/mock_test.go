package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// pinnedNow is the instant every test server lives at unless it says otherwise.
var pinnedNow = time.Date(2026, 11, 29, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

const (
	adminAuth    = `{"bk_app_code":"demo","bk_app_secret":"s3cr3t","bk_username":"admin"}`
	zhangsanAuth = `{"bk_app_code":"demo","bk_app_secret":"s3cr3t","bk_username":"zhangsan"}`
	appOnlyAuth  = `{"bk_app_code":"demo","bk_app_secret":"s3cr3t"}`
)

// window is a valid 30-day window ending at pinnedNow.
var window = "create_time_start=" + ms(pinnedNow.Add(-30*24*time.Hour)) + "&create_time_end=" + ms(pinnedNow)

func ms(t time.Time) string { return json.Number(itoa(t.UnixMilli())).String() }

func itoa(v int64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// newServer starts a mock with the default fixtures at pinnedNow.
func newServer(t testing.TB, modify ...func(*mock.Config)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newHandler(t, modify...))
	t.Cleanup(srv.Close)
	return srv
}

// specRouter is the router over openapi.yaml every answer is checked with.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(bkjob.OpenAPISpec)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), "body: %s", a.body)
	return m
}

// do sends a request and checks the answer against openapi.yaml (status
// documented, Content-Type, body schema) whenever the path is in the spec.
func do(t testing.TB, srv *httptest.Server, method, path, query string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path+"?"+query, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, body: body}
	checkAgainstSpec(t, req, a)
	return a
}

func checkAgainstSpec(t testing.TB, req *http.Request, a answer) {
	t.Helper()
	router, err := specRouter()
	require.NoError(t, err)
	vreq := req.Clone(context.Background())
	vreq.URL.Host, vreq.URL.Scheme = "", ""
	route, params, err := router.FindRoute(vreq)
	if err != nil {
		return // not an API path (gateway 404s, /__mock/)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route},
		Status:                 a.status,
		Header:                 a.header,
		Body:                   io.NopCloser(bytes.NewReader(a.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	assert.NoError(t, openapi3filter.ValidateResponse(context.Background(), in), "answer %d %s violates openapi.yaml", a.status, a.body)
}

func get(t testing.TB, srv *httptest.Server, query, auth string, extra ...string) answer {
	t.Helper()
	h := map[string]string{}
	if auth != "" {
		h["X-Bkapi-Authorization"] = auth
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return do(t, srv, http.MethodGet, bkjob.UserAPIPath, query, h)
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// wantV4 is the v4 error body a request must get.
type wantV4 struct {
	status        int
	code          string
	message       string
	detailsCode   string // "" for none
	detailsMsg    string // "" means equal to message
	permissionFor string // scope id in the 403 data block
}

func assertV4(t *testing.T, a answer, w wantV4) {
	t.Helper()
	require.Equal(t, w.status, a.status, "body: %s", a.body)
	assert.Equal(t, "application/json", a.header.Get("Content-Type"))
	m := a.json(t)
	assert.Regexp(t, hex32, m["job_request_id"])
	e, ok := m["error"].(map[string]any)
	require.True(t, ok, "no error object in %s", a.body)
	assert.Equal(t, w.code, e["code"])
	assert.Equal(t, w.message, e["message"])
	if w.detailsCode == "" {
		assert.NotContains(t, e, "details")
	} else {
		dm := w.detailsMsg
		if dm == "" {
			dm = w.message
		}
		assert.Equal(t, []any{map[string]any{"code": w.detailsCode, "message": dm}}, e["details"])
	}
	if w.permissionFor == "" {
		assert.NotContains(t, e, "data")
		return
	}
	data, _ := json.Marshal(e["data"])
	assert.Contains(t, string(data), `"instances":[[{"id":"`+w.permissionFor+`"`)
	assert.Contains(t, string(data), `"id":"access_business"`)
}

func TestRequestRules(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	base := "bk_scope_type=biz&bk_scope_id=2&" + window
	missing := func(p string) wantV4 {
		return wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + p + "]缺失", detailsCode: "1241004"}
	}
	wrongType := func(p string) wantV4 {
		return wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + p + "]类型错误", detailsCode: "1241020"}
	}
	invalid := func(p string) wantV4 {
		return wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + p + "]不合法", detailsCode: "1241005"}
	}
	bind := func(p, text string) wantV4 {
		return wantV4{status: 400, code: "INVALID_ARGUMENT", message: "字段[getJobInstanceList." + p + "]绑定失败", detailsCode: "1241025", detailsMsg: text}
	}
	offsetText, lengthText := "最多只能查偏移量为 0-10000 的执行历史", "单次返回最大记录数量length必须在 1-200 之间"
	notFound := wantV4{status: 404, code: "NOT_FOUND", message: "业务/业务集不存在或已被归档", detailsCode: "1243049"}

	tests := []struct {
		name  string
		query string
		want  wantV4
	}{
		{"missing bk_scope_type", "bk_scope_id=2&" + window, missing("bk_scope_type")},
		{"missing bk_scope_id", "bk_scope_type=biz&" + window, missing("bk_scope_id")},
		{"missing both scope params", window, missing("bk_scope_type")},
		{"missing create_time_start", "bk_scope_type=biz&bk_scope_id=2&create_time_end=1", missing("create_time_start")},
		{"missing create_time_end", "bk_scope_type=biz&bk_scope_id=2&create_time_start=1", missing("create_time_end")},
		{"empty create_time_start is missing", "bk_scope_type=biz&bk_scope_id=2&create_time_start=&create_time_end=1", missing("create_time_start")},
		{"wrong type before a later missing", "bk_scope_type=biz&bk_scope_id=2&create_time_start=abc", wrongType("create_time_start")},
		{"create_time_end not integer", "bk_scope_type=biz&bk_scope_id=2&create_time_start=1&create_time_end=1.5", wrongType("create_time_end")},
		{"create_time_start overflows int64", "bk_scope_type=biz&bk_scope_id=2&create_time_start=99999999999999999999&create_time_end=1", wrongType("create_time_start")},
		{"create_time_start exponent", "bk_scope_type=biz&bk_scope_id=2&create_time_start=1e3&create_time_end=1", wrongType("create_time_start")},
		{"job_instance_id wrong type", base + "&job_instance_id=x", wrongType("job_instance_id")},
		{"launch_mode wrong type", base + "&launch_mode=web", wrongType("launch_mode")},
		{"launch_mode overflows int32", base + "&launch_mode=2147483648", wrongType("launch_mode")},
		{"type wrong type", base + "&type=plan", wrongType("type")},
		{"status wrong type", base + "&status=ok", wrongType("status")},
		{"job_cron_id wrong type", base + "&job_cron_id=0x10", wrongType("job_cron_id")},
		{"offset wrong type", base + "&offset=1.0", wrongType("offset")},
		{"length wrong type", base + "&length=ten", wrongType("length")},
		{"type errors in declaration order", base + "&length=x&status=y", wrongType("status")},
		{"type error beats a range error", base + "&offset=-1&length=x", wrongType("length")},
		{"offset below range", base + "&offset=-1", bind("offset", offsetText)},
		{"offset above range", base + "&offset=10001", bind("offset", offsetText)},
		{"length zero", base + "&length=0", bind("length", lengthText)},
		{"length above range", base + "&length=201", bind("length", lengthText)},
		{"offset reported before length", base + "&offset=10001&length=201", bind("offset", offsetText)},
		{"blank bk_scope_id", "bk_scope_type=biz&bk_scope_id=%20&" + window, bind("bk_scope_id", "参数 bk_scope_id 不能为空")},
		{"blank scope id before an invalid type", "bk_scope_type=nope&bk_scope_id=&" + window, bind("bk_scope_id", "参数 bk_scope_id 不能为空")},
		{"invalid bk_scope_type", "bk_scope_type=business&bk_scope_id=2&" + window, invalid("bk_scope_type")},
		{"invalid bk_scope_type beats missing params", "bk_scope_type=business&bk_scope_id=2", invalid("bk_scope_type")},
		{"status 12 does not exist", base + "&status=12", invalid("status")},
		{"launch_mode out of enum", base + "&launch_mode=4", invalid("launch_mode")},
		{"type out of enum", base + "&type=3", invalid("type")},
		{"range error beats an invalid enum", base + "&status=12&length=500", bind("length", lengthText)},
		{"status before launch_mode", base + "&launch_mode=9&status=0", invalid("status")},
		{"launch_mode before type", base + "&type=9&launch_mode=0", invalid("launch_mode")},
		{"unknown business", "bk_scope_type=biz&bk_scope_id=999&" + window, notFound},
		{"unknown scope beats bad parameters", "bk_scope_type=biz&bk_scope_id=999&length=x", notFound},
		{"tenant_set passes the type check, then 404", "bk_scope_type=tenant_set&bk_scope_id=1&" + window, notFound},
		{"non-numeric business id", "bk_scope_type=biz&bk_scope_id=abc&" + window, notFound},
		{"first of repeated values counts", base + "&length=500&length=5", bind("length", lengthText)},
		{"invalid percent-encoding is a type error", base + "&length=%2", wrongType("length")},
		{"invalid percent-encoding in a text filter", base + "&name=%zz", wrongType("name")},
		{"invalid percent-encoding in order of declaration", base + "&length=%2&status=%G0", wrongType("status")},
		{"invalid percent-encoding of a scope id", "bk_scope_type=biz&bk_scope_id=%2&" + window, wrongType("bk_scope_id")},
		{"more than 10000 parameters", base + strings.Repeat("&x=1", 10000),
			wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数过多，最多 10000 个", detailsCode: "1241005"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertV4(t, get(t, srv, tt.query, adminAuth), tt.want)
		})
	}
}

func TestAcceptedEdgeValues(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	base := "bk_scope_type=biz&bk_scope_id=2&" + window
	for _, q := range []string{
		base,
		base + "&offset=0&length=1",
		base + "&offset=10000&length=200",
		base + "&offset=&length=",
		base + "&job_instance_id=&job_cron_id=&status=&type=&launch_mode=",
		base + "&length=5&length=500",
		base + "&create_time_start=+1",
		"bk_scope_type=biz&bk_scope_id=2&create_time_start=9&create_time_end=1",
		"bk_scope_type=biz&bk_scope_id=2&create_time_start=-5&create_time_end=9223372036854775807",
		base + "&operator=%20&name=%20&ip=0:10.0.0.1",
		base + "&status=15&type=0&launch_mode=3",
		"bk_scope_type=biz_set&bk_scope_id=9991001&" + window,
	} {
		a := get(t, srv, q, adminAuth)
		assert.Equal(t, http.StatusOK, a.status, "%s → %s", q, a.body)
	}
}

func TestPermission(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	denied := func(user, id string) wantV4 {
		return wantV4{status: 403, code: "NO_PERMISSION", message: "用户(" + user + ")权限不足，请前往权限中心确认并申请补充后重试", permissionFor: id}
	}
	auth := func(user string) string {
		return `{"bk_app_code":"demo","bk_app_secret":"x","bk_username":"` + user + `"}`
	}
	tests := []struct {
		name, query, auth string
		want              wantV4
	}{
		{"zhangsan on biz 3", "bk_scope_type=biz&bk_scope_id=3&" + window, auth("zhangsan"), denied("zhangsan", "3")},
		{"403 even with bad parameters", "bk_scope_type=biz&bk_scope_id=3&length=500&offset=x", auth("zhangsan"), denied("zhangsan", "3")},
		{"403 before missing parameters", "bk_scope_type=biz&bk_scope_id=3", auth("zhangsan"), denied("zhangsan", "3")},
		{"guest has nothing", "bk_scope_type=biz&bk_scope_id=2&" + window, auth("guest"), denied("guest", "2")},
		{"unknown user is a user without permission", "bk_scope_type=biz&bk_scope_id=2&" + window, auth("nobody"), denied("nobody", "2")},
		{"business set", "bk_scope_type=biz_set&bk_scope_id=9991001&" + window, auth("zhangsan"), denied("zhangsan", "9991001")},
		{"404 beats 403", "bk_scope_type=biz&bk_scope_id=999&" + window, auth("guest"), wantV4{status: 404, code: "NOT_FOUND", message: "业务/业务集不存在或已被归档", detailsCode: "1243049"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertV4(t, get(t, srv, tt.query, tt.auth), tt.want)
		})
	}
	t.Run("data block names the business", func(t *testing.T) {
		t.Parallel()
		a := get(t, srv, "bk_scope_type=biz&bk_scope_id=3&"+window, auth("zhangsan"))
		fx, _ := fixtures.Default()
		sc, ok := fx.LookupScope(bkjob.Scope{Type: "biz", ID: "3"})
		require.True(t, ok)
		var body struct {
			Error struct {
				Data struct {
					SystemID string `json:"system_id"`
					Actions  []struct {
						ID    string `json:"id"`
						Types []struct {
							Type      string             `json:"type"`
							SystemID  string             `json:"system_id"`
							Instances [][]map[string]any `json:"instances"`
						} `json:"related_resource_types"`
					} `json:"actions"`
				} `json:"data"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(a.body, &body))
		d := body.Error.Data
		assert.Equal(t, "bk_job", d.SystemID)
		require.Len(t, d.Actions, 1)
		require.Len(t, d.Actions[0].Types, 1)
		rt := d.Actions[0].Types[0]
		assert.Equal(t, "biz", rt.Type)
		assert.Equal(t, "bk_cmdb", rt.SystemID)
		assert.Equal(t, []map[string]any{{"id": "3", "type": "biz", "type_name": "业务", "name": sc.Name}}, rt.Instances[0])
	})
}

func TestEnglish(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	en := []string{"Blueking-Language", "en"}
	base := "bk_scope_type=biz&bk_scope_id=2&" + window
	tests := []struct {
		name, query, auth string
		want              wantV4
	}{
		{"missing", "bk_scope_type=biz&bk_scope_id=2", adminAuth, wantV4{400, "INVALID_ARGUMENT", "Missing request parameter [create_time_start]", "1241004", "", ""}},
		{"type", base + "&offset=a", adminAuth, wantV4{400, "INVALID_ARGUMENT", "Parameter [offset] type mismatch", "1241020", "", ""}},
		{"offset", base + "&offset=20000", adminAuth, wantV4{400, "INVALID_ARGUMENT", "Fields [getJobInstanceList.offset] bind failed", "1241025", "Offset must be in range: [0,10000]", ""}},
		{"length", base + "&length=0", adminAuth, wantV4{400, "INVALID_ARGUMENT", "Fields [getJobInstanceList.length] bind failed", "1241025", "The param 'length' must be in range: [1,200]", ""}},
		{"invalid", base + "&status=12", adminAuth, wantV4{400, "INVALID_ARGUMENT", "Invalid request parameter [status]", "1241005", "", ""}},
		{"not found", "bk_scope_type=biz&bk_scope_id=999", adminAuth, wantV4{404, "NOT_FOUND", "Business/Business Set not exist or archived", "1243049", "", ""}},
		{"permission", base, zhangsanAuth[:len(zhangsanAuth)-len(`zhangsan"}`)] + `guest"}`, wantV4{403, "NO_PERMISSION", "User (guest) permission not allowed, please confirm and apply permission in IAM and try again", "", "", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := get(t, srv, tt.query, tt.auth, en...)
			assertV4(t, a, tt.want)
			if tt.want.status == 403 {
				assert.Contains(t, string(a.body), `"system_name":"作业平台"`, "the data block stays in Chinese")
			}
		})
	}
}

func TestGateway(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	q := "bk_scope_type=biz&bk_scope_id=2&" + window
	reason := func(r string) string { return `Parameters error [reason="` + r + `"]` }
	tests := []struct {
		name   string
		auth   string
		system bool
		want   string // "" means the request passes the gateway
	}{
		{"no header", "", false, reason("app code cannot be empty")},
		{"not JSON", "bk_app_code=demo", false, reason("request header X-Bkapi-Authorization is not a valid JSON")},
		{"truncated JSON", `{"bk_app_code":"demo"`, false, reason("request header X-Bkapi-Authorization is not a valid JSON")},
		{"JSON array", `["demo"]`, false, reason("app code cannot be empty")},
		{"JSON string", `"demo"`, false, reason("request header X-Bkapi-Authorization is not a valid JSON")},
		{"empty object", `{}`, false, reason("app code cannot be empty")},
		{"no secret", `{"bk_app_code":"demo","bk_username":"admin"}`, false, reason("please provide bk_app_secret or bk_signature to verify app")},
		{"empty secret", `{"bk_app_code":"demo","bk_app_secret":"","bk_username":"admin"}`, false, reason("please provide bk_app_secret or bk_signature to verify app")},
		{"no user on the user API", appOnlyAuth, false, reason("user authentication failed, please provide a valid user identity, such as bk_username, bk_token, access_token")},
		{"unknown token", `{"bk_app_code":"demo","bk_app_secret":"s","bk_token":"nope"}`, false, reason("user authentication failed, please provide a valid user identity, such as bk_username, bk_token, access_token")},
		{"signature instead of secret", `{"bk_app_code":"demo","bk_signature":"sig","bk_username":"admin"}`, false, ""},
		{"bk_token of admin", `{"bk_app_code":"demo","bk_app_secret":"s","bk_token":"token-admin"}`, false, ""},
		{"access_token of admin", `{"bk_app_code":"demo","bk_app_secret":"s","access_token":"token-admin"}`, false, ""},
		{"system API needs no user", appOnlyAuth, true, ""},
		{"system API still needs the app", `{"bk_username":"admin"}`, true, reason("app code cannot be empty")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := bkjob.UserAPIPath
			if tt.system {
				path = bkjob.SystemAPIPath
			}
			h := map[string]string{}
			if tt.auth != "" {
				h["X-Bkapi-Authorization"] = tt.auth
			}
			a := do(t, srv, http.MethodGet, path, q, h)
			if tt.want == "" {
				assert.Equal(t, http.StatusOK, a.status, "%s", a.body)
				return
			}
			require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
			assert.JSONEq(t, `{"code":1640001,"code_name":"INVALID_ARGS","message":`+string(mustJSON(tt.want))+`,"result":false,"data":null}`, string(a.body))
			assert.Equal(t, "1640001", a.header.Get("X-Bkapi-Error-Code"))
			assert.Equal(t, tt.want, a.header.Get("X-Bkapi-Error-Message"))
		})
	}
}

func TestListedApps(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *mock.Config) {
		fx := *c.Fixtures
		fx.Apps = []fixtures.App{{Code: "frontend", Secret: "right"}}
		c.Fixtures = &fx
	})
	q := "bk_scope_type=biz&bk_scope_id=2&" + window
	for auth, want := range map[string]string{
		`{"bk_app_code":"frontend","bk_app_secret":"right","bk_username":"admin"}`: "",
		`{"bk_app_code":"frontend","bk_app_secret":"wrong","bk_username":"admin"}`: "bk_app_code or bk_app_secret is incorrect",
		`{"bk_app_code":"other","bk_app_secret":"right","bk_username":"admin"}`:    "app not found",
	} {
		a := get(t, srv, q, auth)
		if want == "" {
			assert.Equal(t, http.StatusOK, a.status, "%s", a.body)
			continue
		}
		assert.Equal(t, http.StatusBadRequest, a.status)
		assert.Contains(t, string(a.body), want)
	}
}

func TestSystemAPISkipsPermission(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	q := "bk_scope_type=biz&bk_scope_id=3&" + window
	a := do(t, srv, http.MethodGet, bkjob.SystemAPIPath, q, map[string]string{"X-Bkapi-Authorization": `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"guest"}`})
	assert.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a = do(t, srv, http.MethodGet, bkjob.SystemAPIPath, "bk_scope_type=biz&bk_scope_id=999&"+window, map[string]string{"X-Bkapi-Authorization": appOnlyAuth})
	assert.Equal(t, http.StatusNotFound, a.status, "%s", a.body)
}

func TestAPINotFound(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, tt := range []struct{ method, path string }{
		{http.MethodPost, bkjob.UserAPIPath},
		{http.MethodDelete, bkjob.SystemAPIPath},
		{http.MethodGet, "/api/v4/get_job_instance_lists"},
		{http.MethodGet, "/api/v3/get_job_instance_list"},
		{http.MethodGet, "/"},
	} {
		a := do(t, srv, tt.method, tt.path, "", map[string]string{"X-Bkapi-Authorization": adminAuth})
		require.Equal(t, http.StatusNotFound, a.status)
		msg := `API not found [method="` + tt.method + `" path="` + tt.path + `"]`
		assert.JSONEq(t, `{"code":1640401,"code_name":"API_NOT_FOUND","message":`+string(mustJSON(msg))+`,"result":false,"data":null}`, string(a.body))
		assert.Equal(t, "1640401", a.header.Get("X-Bkapi-Error-Code"))
	}
}

func TestQuirks(t *testing.T) {
	t.Parallel()
	contract, quirky := newServer(t), newServer(t, func(c *mock.Config) { c.Quirks = true })
	base := "bk_scope_type=biz&bk_scope_id=2&" + window
	internal := wantV4{status: 500, code: "INTERNAL", message: "内部服务器异常", detailsCode: "1240002"}
	assertV4(t, get(t, quirky, base+"&status=12", adminAuth), internal)
	assertV4(t, get(t, quirky, base+"&launch_mode=0", adminAuth), internal)
	ignored := get(t, quirky, base+"&type=7", adminAuth)
	require.Equal(t, http.StatusOK, ignored.status)
	assert.Equal(t, get(t, quirky, base, adminAuth).json(t)["data"], ignored.json(t)["data"], "an invalid type is ignored")
	assertV4(t, get(t, contract, base+"&status=12", adminAuth), wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[status]不合法", detailsCode: "1241005"})
	assertV4(t, get(t, contract, base+"&type=7", adminAuth), wantV4{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[type]不合法", detailsCode: "1241005"})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	q := "bk_scope_type=biz&bk_scope_id=2&" + window
	a1, a2 := get(t, srv, q, adminAuth), get(t, srv, q, adminAuth)
	b := get(t, srv, q+"&length=11", adminAuth)
	id := func(a answer) string { return a.json(t)["job_request_id"].(string) }
	assert.Regexp(t, hex32, id(a1))
	assert.Equal(t, id(a1), id(a2), "identical requests get the same id")
	assert.NotEqual(t, id(a1), id(b))

	// The gateway's request id is on every answer and unique per exchange.
	e := get(t, srv, "bk_scope_type=biz&bk_scope_id=999&"+window, adminAuth)
	n := do(t, srv, http.MethodPost, bkjob.UserAPIPath, "", nil)
	gw := map[string]bool{}
	for _, a := range []answer{a1, a2, b, e, n} {
		v := a.header.Get("X-Bkapi-Request-Id")
		assert.Regexp(t, hex32, v)
		gw[v] = true
	}
	assert.Len(t, gw, 5, "one X-Bkapi-Request-Id per exchange")

	// The journal finds an exchange by either id.
	byGateway := journalEntries(t, srv, "request_id="+a2.header.Get("X-Bkapi-Request-Id"))
	require.Len(t, byGateway, 1)
	assert.Equal(t, id(a2), byGateway[0].RequestID)
	assert.Len(t, journalEntries(t, srv, "request_id="+id(a1)), 2, "job_request_id is shared by identical requests")
}

// The Date header follows the mock's clock, so clients see one clock.
func TestDateFollowsClock(t *testing.T) {
	t.Parallel()
	a := get(t, newServer(t), "bk_scope_type=biz&bk_scope_id=2&"+window, adminAuth)
	assert.Equal(t, pinnedNow.UTC().Format(http.TimeFormat), a.header.Get("Date"))
}

func TestHealthAndSpec(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := do(t, srv, http.MethodGet, "/__mock/health", "", nil)
	assert.Equal(t, http.StatusOK, a.status)
	a = do(t, srv, http.MethodGet, "/__mock/openapi.yaml", "", nil)
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, bkjob.OpenAPISpec, a.body)
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *mock.Config) { c.BasePath = "/prod/" })
	q := "bk_scope_type=biz&bk_scope_id=2&" + window
	h := map[string]string{"X-Bkapi-Authorization": adminAuth}
	assert.Equal(t, http.StatusOK, do(t, srv, http.MethodGet, "/prod"+bkjob.UserAPIPath, q, h).status)
	assert.Equal(t, http.StatusOK, do(t, srv, http.MethodGet, "/prod"+bkjob.SystemAPIPath, q, h).status)
	assert.Equal(t, http.StatusOK, do(t, srv, http.MethodGet, bkjob.UserAPIPath, q, h).status)
	assert.Equal(t, http.StatusNotFound, do(t, srv, http.MethodGet, "/stage"+bkjob.UserAPIPath, q, h).status)
}

func TestCORS(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *mock.Config) { c.CORSOrigin = "http://localhost:3000" })
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+bkjob.UserAPIPath, nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "x-bkapi-authorization")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "X-Bkapi-Authorization")

	a := get(t, srv, "bk_scope_type=biz&bk_scope_id=2&"+window, adminAuth, "Origin", "http://evil.example")
	assert.Empty(t, a.header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, 200, a.status, "a refused origin's simple request is still answered; the browser hides it")
	a = get(t, srv, "bk_scope_type=biz&bk_scope_id=2&"+window, adminAuth, "Origin", "http://localhost:3000")
	assert.Equal(t, "http://localhost:3000", a.header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, a.header.Get("Access-Control-Expose-Headers"), "X-Bkapi-Error-Code")
}

// preflight sends a CORS preflight for the list from origin, asking for headers.
func preflight(t *testing.T, srv *httptest.Server, origin, headers string) answer {
	t.Helper()
	return do(t, srv, http.MethodOptions, bkjob.UserAPIPath, "", map[string]string{
		"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": headers,
	})
}

// With no --cors-origin, a frontend dev server on any loopback port works,
// with whatever headers it sends; other origins get a clear refusal.
func TestCORSDefaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, origin := range []string{"http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8081"} {
		a := preflight(t, srv, origin, "x-bkapi-authorization, traceparent, sentry-trace, x-bk-tenant-id")
		assert.Equal(t, http.StatusNoContent, a.status, origin)
		assert.Equal(t, origin, a.header.Get("Access-Control-Allow-Origin"))
		for _, h := range []string{"X-Bkapi-Authorization", "Traceparent", "Sentry-Trace", "X-Bk-Tenant-Id"} {
			assert.Contains(t, a.header.Get("Access-Control-Allow-Headers"), h, origin)
		}
	}
	for _, origin := range []string{"http://example.com", "http://localhost.evil.com:80", "http://localhost:", "https://localhost:5173"} {
		a := preflight(t, srv, origin, "x-bkapi-authorization")
		assert.Equal(t, http.StatusForbidden, a.status, origin)
		assert.Empty(t, a.header.Get("Access-Control-Allow-Origin"), origin)
		assert.Equal(t, "CORS_ORIGIN_REFUSED", a.header.Get("X-Mock-Error"), origin)
		assert.Contains(t, string(a.body), origin, "names the origin")
		assert.Contains(t, string(a.body), "--cors-origin", "names the flag")
	}
	a := preflight(t, srv, "http://localhost:5173", "x-ok, bad header")
	assert.NotContains(t, a.header.Get("Access-Control-Allow-Headers"), "bad", "only header names are echoed")

	off := newServer(t, func(c *mock.Config) { c.CORSOrigin = "off" })
	assert.Empty(t, preflight(t, off, "http://localhost:5173", "").header.Get("Access-Control-Allow-Origin"))
}
