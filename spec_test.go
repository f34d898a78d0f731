package bkjob_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// loadedSpec is the embedded spec, loaded and validated once and shared by the
// parallel tests below (kin-openapi documents are safe for concurrent reads).
var loadedSpec = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(bkjob.OpenAPISpec)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate openapi.yaml: %w", err)
	}
	return doc, nil
})

var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := loadedSpec()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

func spec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := loadedSpec()
	require.NoError(t, err)
	return doc
}

// validateResponse runs openapi3filter.ValidateResponse on a response to a GET of
// path, found through a gorillamux router like the mock and the contract suite do.
func validateResponse(t *testing.T, path string, status int, header http.Header, body []byte) error {
	t.Helper()
	router, err := specRouter()
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet,
		path+"?bk_scope_type=biz&bk_scope_id=2&create_time_start=1770949800000&create_time_end=1773541800000", nil)
	route, pathParams, err := router.FindRoute(req)
	require.NoError(t, err, "no route for %s", path)

	h := http.Header{"Content-Type": {"application/json"}}
	for k, vs := range header {
		h[k] = vs
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: pathParams,
			Route:      route,
		},
		Status:  status,
		Header:  h,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// gatewayHeaders returns the headers the API gateway sets beside a body in its
// legacy envelope (an integer "code"), and none for anything else.
func gatewayHeaders(t *testing.T, body []byte) http.Header {
	t.Helper()
	var env struct {
		Code    *json.Number `json:"code"`
		Message string       `json:"message"`
	}
	if json.Unmarshal(body, &env) != nil || env.Code == nil {
		return nil
	}
	return http.Header{
		"X-Bkapi-Error-Code":    {env.Code.String()},
		"X-Bkapi-Error-Message": {env.Message},
	}
}

// asJSON returns v as the generic value encoding/json decodes its JSON into:
// what a schema sees when it validates a real body.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// walkSchemas calls fn on every schema reachable from ref, once each.
func walkSchemas(ref *openapi3.SchemaRef, at string, seen map[*openapi3.Schema]bool, fn func(at string, s *openapi3.Schema)) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	if ref.Ref != "" {
		at = ref.Ref // name a shared schema after its component, wherever it is reached
	}
	s := ref.Value
	seen[s] = true
	fn(at, s)
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		walkSchemas(s.Properties[name], at+"/properties/"+name, seen, fn)
	}
	walkSchemas(s.Items, at+"/items", seen, fn)
	walkSchemas(s.Not, at+"/not", seen, fn)
	walkSchemas(s.AdditionalProperties.Schema, at+"/additionalProperties", seen, fn)
	for kw, refs := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf} {
		for i, r := range refs {
			walkSchemas(r, at+"/"+kw+"/"+strconv.Itoa(i), seen, fn)
		}
	}
}

// operations maps "METHOD path" to each operation of the spec.
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return ops
}

func TestSpecLoadsAndValidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	doc, err := openapi3.NewLoader().LoadFromData(bkjob.OpenAPISpec)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(ctx))

	assert.Equal(t, "3.0.3", doc.OpenAPI)
	assert.False(t, doc.IsOpenAPI31OrLater())
	require.NotEmpty(t, doc.Servers)
	for _, s := range doc.Servers {
		assert.True(t, strings.HasPrefix(s.URL, "/"), "server %q must be relative: absolute servers break routing", s.URL)
	}
	assert.Equal(t, "1.0.0", doc.Info.Version)

	ops := operations(doc)
	assert.Equal(t, []string{
		"GET " + bkjob.UserAPIPath,
		"GET " + bkjob.SystemAPIPath,
	}, slices.Sorted(maps.Keys(ops)))
	wantIDs := map[string]string{
		"GET " + bkjob.UserAPIPath:   "getJobInstanceList",
		"GET " + bkjob.SystemAPIPath: "getJobInstanceListSystem",
	}
	for key, op := range ops {
		assert.Equal(t, wantIDs[key], op.OperationID, key)
		require.NotNil(t, op.Security, key)
		assert.Equal(t, openapi3.SecurityRequirements{{"bkapiAuth": {}}}, *op.Security, key)
		assert.ElementsMatch(t, []string{"200", "400", "403", "404", "429", "500", "502", "504"}, op.Responses.Keys(), key)
		// Shared, not copied: every parameter and response is a component.
		for _, p := range op.Parameters {
			assert.True(t, strings.HasPrefix(p.Ref, "#/components/parameters/"), "%s: parameter %s is inline", key, p.Value.Name)
		}
		for status, r := range op.Responses.Map() {
			assert.True(t, strings.HasPrefix(r.Ref, "#/components/responses/"), "%s: response %s is inline", key, status)
		}
	}

	scheme := doc.Components.SecuritySchemes["bkapiAuth"]
	require.NotNil(t, scheme)
	require.NotNil(t, scheme.Value)
	assert.Equal(t, "apiKey", scheme.Value.Type)
	assert.Equal(t, "header", scheme.Value.In)
	assert.Equal(t, "X-Bkapi-Authorization", scheme.Value.Name)
	for _, word := range []string{"bk_app_code", "bk_app_secret", "bk_signature", "bk_username", "bk_token", "access_token"} {
		assert.Contains(t, scheme.Value.Description, word)
	}

	// 3.0.3, not 3.1: no type arrays, no const, no schema-level examples.
	seen := map[*openapi3.Schema]bool{}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		walkSchemas(doc.Components.Schemas[name], "#/components/schemas/"+name, seen, func(at string, s *openapi3.Schema) {
			assert.LessOrEqual(t, len(s.Type.Slice()), 1, "%s: type arrays are OpenAPI 3.1", at)
			assert.Nil(t, s.Const, "%s: const is OpenAPI 3.1", at)
			assert.Nil(t, s.Examples, "%s: schema examples are OpenAPI 3.1; use example", at)
		})
	}
}

// exampleCase is one example found in the spec, with the schema it must match.
type exampleCase struct {
	name   string
	schema *openapi3.SchemaRef
	value  any
	// For response examples: the operation's path and the status to validate
	// the value as a whole response with openapi3filter.
	path   string
	status int
}

// specExamples collects every example in the spec: media-type examples of every
// response, parameter and header examples, and schema-level examples. A response
// without any example is reported through missing.
func specExamples(doc *openapi3.T) (cases []exampleCase, missing []string) {
	ops := operations(doc)
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		op := ops[key]
		path := strings.TrimPrefix(key, "GET ")
		for _, p := range op.Parameters {
			pv := p.Value
			if pv.Example != nil {
				cases = append(cases, exampleCase{name: key + " parameter " + pv.Name, schema: pv.Schema, value: pv.Example})
			}
			for _, ex := range slices.Sorted(maps.Keys(pv.Examples)) {
				cases = append(cases, exampleCase{name: key + " parameter " + pv.Name + " " + ex, schema: pv.Schema, value: pv.Examples[ex].Value.Value})
			}
		}
		for _, code := range slices.Sorted(maps.Keys(op.Responses.Map())) {
			resp := op.Responses.Value(code).Value
			status, err := strconv.Atoi(code)
			if err != nil {
				missing = append(missing, fmt.Sprintf("%s %s: not a plain status code", key, code))
				continue
			}
			count := 0
			for _, ct := range slices.Sorted(maps.Keys(resp.Content)) {
				mt := resp.Content[ct]
				prefix := fmt.Sprintf("%s %d %s", key, status, ct)
				if mt.Example != nil {
					count++
					cases = append(cases, exampleCase{name: prefix + " example", schema: mt.Schema, value: mt.Example, path: path, status: status})
				}
				for _, ex := range slices.Sorted(maps.Keys(mt.Examples)) {
					count++
					cases = append(cases, exampleCase{name: prefix + " " + ex, schema: mt.Schema, value: mt.Examples[ex].Value.Value, path: path, status: status})
				}
			}
			if count == 0 {
				missing = append(missing, fmt.Sprintf("%s %d", key, status))
			}
			for _, h := range slices.Sorted(maps.Keys(resp.Headers)) {
				hv := resp.Headers[h].Value
				if hv.Example != nil {
					cases = append(cases, exampleCase{name: fmt.Sprintf("%s %d header %s", key, status, h), schema: hv.Schema, value: hv.Example})
				}
			}
		}
	}
	seen := map[*openapi3.Schema]bool{}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		walkSchemas(doc.Components.Schemas[name], "#/components/schemas/"+name, seen, func(at string, s *openapi3.Schema) {
			if s.Example != nil {
				cases = append(cases, exampleCase{name: at + " example", schema: openapi3.NewSchemaRef("", s), value: s.Example})
			}
		})
	}
	return cases, missing
}

func TestSpecExamplesValidate(t *testing.T) {
	t.Parallel()
	doc := spec(t)

	cases, missing := specExamples(doc)
	assert.Empty(t, missing, "every response needs at least one example")
	require.NotEmpty(t, cases)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.NotNil(t, tc.schema, "example without a schema")
			require.NotNil(t, tc.schema.Value)
			value := asJSON(t, tc.value)
			assert.NoError(t, tc.schema.Value.VisitJSON(value), "schema")
			if tc.path == "" {
				return
			}
			body := mustJSON(t, value)
			assert.NoError(t, validateResponse(t, tc.path, tc.status, gatewayHeaders(t, body), body), "response")
		})
	}
}

// validItem is a finished plan task as the server writes it.
func validItem() map[string]any {
	return map[string]any{
		"bk_biz_id":       2,
		"bk_scope_type":   "biz",
		"bk_scope_id":     "2",
		"job_instance_id": 20731544120,
		"job_plan_id":     1001,
		"job_template_id": 101,
		"name":            "每5分钟巡检",
		"operator":        "admin",
		"launch_mode":     3,
		"status":          3,
		"type":            0,
		"create_time":     1773541500000,
		"start_time":      1773541500200,
		"end_time":        1773541512800,
		"total_time":      12600,
	}
}

func TestJobInstanceSchemaRejects(t *testing.T) {
	t.Parallel()
	doc := spec(t)
	schema := doc.Components.Schemas["JobInstance"]
	require.NotNil(t, schema)
	require.NoError(t, schema.Value.VisitJSON(asJSON(t, validItem())), "the base item must be valid")

	tests := []struct {
		name   string
		mutate func(m map[string]any)
		fields []string // SchemaField of each error, all errors collected
	}{
		{"id instead of job_instance_id", func(m map[string]any) { m["id"] = m["job_instance_id"]; delete(m, "job_instance_id") }, []string{"required", "properties"}},
		{"task_status instead of status", func(m map[string]any) { m["task_status"] = m["status"]; delete(m, "status") }, []string{"required", "properties"}},
		{"task_type instead of type", func(m map[string]any) { m["task_type"] = m["type"]; delete(m, "type") }, []string{"required", "properties"}},
		{"end_time null", func(m map[string]any) { m["end_time"] = nil }, []string{"nullable"}},
		{"start_time null", func(m map[string]any) { m["start_time"] = nil }, []string{"nullable"}},
		{"status 12", func(m map[string]any) { m["status"] = 12 }, []string{"enum"}},
		{"status 0", func(m map[string]any) { m["status"] = 0 }, []string{"enum"}},
		{"type 3", func(m map[string]any) { m["type"] = 3 }, []string{"enum"}},
		{"launch_mode 0", func(m map[string]any) { m["launch_mode"] = 0 }, []string{"enum"}},
		{"bk_scope_id as a number", func(m map[string]any) { m["bk_scope_id"] = 2 }, []string{"type"}},
		{"bk_scope_type tenant_set", func(m map[string]any) { m["bk_scope_type"] = "tenant_set" }, []string{"enum"}},
		{"job_plan_id below -1", func(m map[string]any) { m["job_plan_id"] = -2 }, []string{"minimum"}},
		{"negative total_time", func(m map[string]any) { m["total_time"] = -1 }, []string{"minimum"}},
		{"fractional create_time", func(m map[string]any) { m["create_time"] = 1773541500000.5 }, []string{"type"}},
		{"missing create_time", func(m map[string]any) { delete(m, "create_time") }, []string{"required"}},
		{"missing job_template_id", func(m map[string]any) { delete(m, "job_template_id") }, []string{"required"}},
		// kin-openapi reports additionalProperties: false under the field "properties".
		{"unknown field", func(m map[string]any) { m["job_cron_id"] = 501 }, []string{"properties"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			item := validItem()
			tt.mutate(item)
			value := asJSON(t, item)

			err := schema.Value.VisitJSON(value)
			require.Error(t, err)
			var se *openapi3.SchemaError
			require.ErrorAs(t, err, &se)

			err = schema.Value.VisitJSON(value, openapi3.MultiErrors())
			var me openapi3.MultiError
			require.ErrorAs(t, err, &me)
			var fields []string
			for _, e := range me {
				require.ErrorAs(t, e, &se)
				fields = append(fields, se.SchemaField)
			}
			assert.ElementsMatch(t, tt.fields, fields)
		})
	}
}

func TestResponsesAcceptAndReject(t *testing.T) {
	t.Parallel()
	okBody := func(items ...map[string]any) map[string]any {
		list := make([]any, 0, len(items))
		for _, it := range items {
			list = append(list, it)
		}
		return map[string]any{
			"data":           map[string]any{"job_instance_list": list},
			"job_request_id": "219a389e43aec848409674adff4df2a5",
		}
	}
	v4 := func(code, message string, extra map[string]any) map[string]any {
		e := map[string]any{"code": code, "message": message}
		maps.Copy(e, extra)
		return map[string]any{"error": e, "job_request_id": "ab147b0b00f050b2f9dfb9fd87c0d735"}
	}
	details := func(code, message string) map[string]any {
		return map[string]any{"details": []any{map[string]any{"code": code, "message": message}}}
	}
	permission := map[string]any{"data": map[string]any{
		"system_id": "bk_job", "system_name": "作业平台",
		"actions": []any{map[string]any{
			"id": "access_business", "name": "业务访问",
			"related_resource_types": []any{map[string]any{
				"system_id": "bk_cmdb", "system_name": "配置平台", "type": "biz", "type_name": "业务",
				"instances": []any{[]any{map[string]any{"id": "3", "type": "biz", "type_name": "业务", "name": "测试业务"}}},
			}},
		}},
	}}
	gateway := func(code int, codeName, message string) map[string]any {
		return map[string]any{"code": code, "code_name": codeName, "message": message, "result": false, "data": nil}
	}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := maps.Clone(m)
		out[k] = v
		return out
	}
	without := func(m map[string]any, k string) map[string]any {
		out := maps.Clone(m)
		delete(out, k)
		return out
	}
	docItem := map[string]any{ // the public document's example item
		"bk_scope_type": "biz", "bk_scope_id": "1", "id": 102, "job_template_id": 1, "job_plan_id": 1,
		"name": "test", "operator": "admin", "create_time": 1546272000000, "start_time": 1546272000000,
		"end_time": 1546272001000, "total_time": 1000, "launch_mode": 1, "task_status": 3, "task_type": 0,
	}
	tooMany := make([]map[string]any, 201)
	for i := range tooMany {
		tooMany[i] = validItem()
	}
	noAuth := gateway(1640001, "INVALID_ARGS", `Parameters error [reason="app code cannot be empty"]`)
	rateLimited := gateway(1642902, "RATE_LIMIT_RESTRICTION", "API rate limit exceeded by stage strategy")

	tests := []struct {
		name    string
		status  int
		body    any
		headers bool // set the gateway's X-Bkapi-Error-* headers for a gateway body
		wantErr bool
		oneOf   bool // the failure is reported by the oneOf of the status's schema
	}{
		{name: "200 page", status: 200, body: okBody(validItem())},
		{name: "200 empty list", status: 200, body: okBody()},
		{name: "200 without job_request_id", status: 200, body: without(okBody(validItem()), "job_request_id"), wantErr: true},
		{name: "200 with a total", status: 200, body: with(okBody(), "total", 0), wantErr: true},
		{name: "200 with an uppercase job_request_id", status: 200, body: with(okBody(), "job_request_id", "219A389E43AEC848409674ADFF4DF2A5"), wantErr: true},
		{name: "200 with a null list", status: 200, body: with(okBody(), "data", map[string]any{"job_instance_list": nil}), wantErr: true},
		{name: "200 with 201 items", status: 200, body: okBody(tooMany...), wantErr: true},
		{name: "200 shaped like the document's example", status: 200, body: okBody(docItem), wantErr: true},

		{name: "400 v4 missing param", status: 400, body: v4("INVALID_ARGUMENT", "请求参数[create_time_start]缺失", details("1241004", "请求参数[create_time_start]缺失"))},
		{name: "400 gateway without auth header", status: 400, body: noAuth, headers: true},
		{name: "400 gateway body without its headers", status: 400, body: noAuth},
		{name: "400 neither envelope", status: 400, body: map[string]any{"message": "bad request"}, wantErr: true, oneOf: true},
		{name: "400 v4 with the code of a 404", status: 400, body: v4("NOT_FOUND", "业务/业务集不存在或已被归档", nil), wantErr: true, oneOf: true},
		{name: "400 gateway with the code of a 429", status: 400, body: rateLimited, headers: true, wantErr: true, oneOf: true},
		{name: "400 both envelopes at once", status: 400, body: with(v4("INVALID_ARGUMENT", "x", nil), "code", 1640001), wantErr: true, oneOf: true},
		{name: "400 gateway with result true", status: 400, body: with(noAuth, "result", true), headers: true, wantErr: true, oneOf: true},
		{name: "400 gateway with non-null data", status: 400, body: with(noAuth, "data", map[string]any{}), headers: true, wantErr: true, oneOf: true},
		{name: "400 gateway without data", status: 400, body: without(noAuth, "data"), headers: true, wantErr: true, oneOf: true},
		{name: "400 v4 with a non-numeric details code", status: 400, body: v4("INVALID_ARGUMENT", "x", details("E1241004", "x")), wantErr: true, oneOf: true},
		{name: "400 v4 with empty details", status: 400, body: v4("INVALID_ARGUMENT", "x", map[string]any{"details": []any{}}), wantErr: true, oneOf: true},
		{name: "400 v4 without job_request_id", status: 400, body: without(v4("INVALID_ARGUMENT", "x", nil), "job_request_id"), wantErr: true, oneOf: true},

		{name: "403 v4 with permission data", status: 403, body: v4("NO_PERMISSION", "用户(zhangsan)权限不足，请前往权限中心确认并申请补充后重试", permission)},
		{name: "403 gateway app without permission", status: 403, body: gateway(1640301, "APP_NO_PERMISSION", "App has no permission to the resource"), headers: true},
		{name: "403 v4 without permission data", status: 403, body: v4("NO_PERMISSION", "用户(zhangsan)权限不足，请前往权限中心确认并申请补充后重试", nil), wantErr: true, oneOf: true},
		{name: "403 v4 with a broken instance list", status: 403, body: v4("NO_PERMISSION", "x", map[string]any{"data": map[string]any{
			"system_id": "bk_job", "system_name": "作业平台", "actions": []any{map[string]any{
				"id": "access_business", "name": "业务访问", "related_resource_types": []any{map[string]any{
					"system_id": "bk_cmdb", "system_name": "配置平台", "type": "biz", "type_name": "业务",
					"instances": []any{map[string]any{"id": "3", "type": "biz", "type_name": "业务", "name": "测试业务"}},
				}},
			}},
		}}), wantErr: true, oneOf: true},

		{name: "404 v4 unknown scope", status: 404, body: v4("NOT_FOUND", "业务/业务集不存在或已被归档", details("1243049", "业务/业务集不存在或已被归档"))},
		{name: "404 gateway unknown API", status: 404, body: gateway(1640401, "API_NOT_FOUND", `API not found [method="POST" path="/api/v4/get_job_instance_list"]`), headers: true},

		{name: "429 gateway rate limit", status: 429, body: rateLimited, headers: true},
		{name: "429 without the gateway headers", status: 429, body: rateLimited, wantErr: true},
		{name: "429 v4 body", status: 429, body: v4("INVALID_ARGUMENT", "x", nil), wantErr: true},

		{name: "500 v4 internal", status: 500, body: v4("INTERNAL", "内部服务器异常", details("1240002", "内部服务器异常"))},
		{name: "500 gateway body", status: 500, body: gateway(1650000, "INTERNAL_SERVER_ERROR", "x"), headers: true, wantErr: true},
		{name: "500 v4 with another code", status: 500, body: v4("INVALID_ARGUMENT", "x", nil), wantErr: true},

		{name: "502 gateway", status: 502, body: gateway(1650200, "BAD_GATEWAY", `Bad Gateway [upstream_error="cannot read header from upstream"]`), headers: true},
		{name: "502 v4 body", status: 502, body: v4("INTERNAL", "内部服务器异常", nil), wantErr: true},
		{name: "504 gateway", status: 504, body: gateway(1650401, "REQUEST_BACKEND_TIMEOUT", `Request backend service timeout [upstream_error="cannot read header from upstream"]`), headers: true},

		{name: "401 is not part of the contract", status: 401, body: noAuth, headers: true, wantErr: true},
	}
	for _, tt := range tests {
		for _, path := range []string{bkjob.UserAPIPath, bkjob.SystemAPIPath} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				t.Parallel()
				body := mustJSON(t, tt.body)
				var h http.Header
				if tt.headers {
					h = gatewayHeaders(t, body)
					require.NotNil(t, h, "not a gateway body")
				}
				err := validateResponse(t, path, tt.status, h, body)
				if !tt.wantErr {
					assert.NoError(t, err)
					return
				}
				require.Error(t, err)
				var re *openapi3filter.ResponseError
				assert.ErrorAs(t, err, &re)
				if tt.oneOf {
					var se *openapi3.SchemaError
					require.ErrorAs(t, err, &se)
					assert.Equal(t, "oneOf", se.SchemaField, "reason: %s", se.Reason)
				}
			})
		}
	}
}

func TestSpecQueryParameters(t *testing.T) {
	t.Parallel()
	doc := spec(t)

	type want struct {
		name     string
		required bool
		typ      string
		format   string
		min, max *float64
		def      any
		enum     []any
		pattern  string
		empty    bool // allowEmptyValue: an empty value counts as absent
	}
	f := func(v float64) *float64 { return &v }
	statuses := make([]any, 0, len(bkjob.Statuses))
	for _, s := range bkjob.Statuses {
		statuses = append(statuses, float64(s))
	}
	wants := []want{
		{name: "bk_scope_type", required: true, typ: "string", enum: []any{bkjob.ScopeBiz, bkjob.ScopeBizSet, bkjob.ScopeTenantSet}},
		{name: "bk_scope_id", required: true, typ: "string", pattern: `\S`},
		{name: "create_time_start", required: true, typ: "integer", format: "int64"},
		{name: "create_time_end", required: true, typ: "integer", format: "int64"},
		{name: "job_instance_id", typ: "integer", format: "int64", empty: true},
		{name: "operator", typ: "string"},
		{name: "name", typ: "string"},
		{name: "launch_mode", typ: "integer", format: "int32", enum: []any{1.0, 2.0, 3.0}, empty: true},
		{name: "type", typ: "integer", format: "int32", enum: []any{0.0, 1.0, 2.0}, empty: true},
		{name: "status", typ: "integer", format: "int32", enum: statuses, empty: true},
		{name: "ip", typ: "string"},
		{name: "job_cron_id", typ: "integer", format: "int64", empty: true},
		{name: "offset", typ: "integer", format: "int32", min: f(0), max: f(10000), def: 0.0, empty: true},
		{name: "length", typ: "integer", format: "int32", min: f(1), max: f(200), def: 10.0, empty: true},
	}
	wantNames := make([]string, 0, len(wants))
	for _, w := range wants {
		wantNames = append(wantNames, w.name)
	}
	require.NotContains(t, statuses, 12.0)

	ops := operations(doc)
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		op := ops[key]
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			var names []string
			byName := map[string]*openapi3.Parameter{}
			for _, p := range op.Parameters {
				if p.Value.In == openapi3.ParameterInQuery {
					names = append(names, p.Value.Name)
					byName[p.Value.Name] = p.Value
				}
			}
			require.Equal(t, wantNames, names, "query parameters in the server's declaration order")

			lang := op.Parameters.GetByInAndName(openapi3.ParameterInHeader, "Blueking-Language")
			require.NotNil(t, lang, "Blueking-Language header")
			assert.False(t, lang.Required)
			assert.True(t, lang.Schema.Value.Type.Is("string"))

			for _, w := range wants {
				p := byName[w.name]
				s := p.Schema.Value
				assert.Equal(t, w.required, p.Required, "%s required", w.name)
				assert.True(t, s.Type.Is(w.typ), "%s type %v", w.name, s.Type)
				assert.Equal(t, w.format, s.Format, "%s format", w.name)
				assert.Equal(t, w.min, s.Min, "%s minimum", w.name)
				assert.Equal(t, w.max, s.Max, "%s maximum", w.name)
				assert.Equal(t, w.def, asJSON(t, s.Default), "%s default", w.name)
				if w.enum == nil {
					assert.Empty(t, s.Enum, "%s enum", w.name)
				} else {
					assert.Equal(t, w.enum, asJSON(t, s.Enum), "%s enum", w.name)
				}
				assert.Equal(t, w.pattern, s.Pattern, "%s pattern", w.name)
				assert.Equal(t, w.empty, p.AllowEmptyValue, "%s allowEmptyValue", w.name)
				assert.NotEmpty(t, p.Description, "%s description", w.name)
			}
		})
	}
}

func TestSpecValidatesRequests(t *testing.T) {
	t.Parallel()
	router, err := specRouter()
	require.NoError(t, err)

	const base = "bk_scope_type=biz&bk_scope_id=2&create_time_start=1770949800000&create_time_end=1773541800000"
	// want is the parameter the request fails on and how kin-openapi says so:
	// "required" (ErrInvalidRequired), "empty" (ErrInvalidEmptyValue), "parse"
	// (a ParseError) or the SchemaField of a SchemaError. Empty: the request is valid.
	tests := []struct {
		name  string
		query string
		param string
		want  string
	}{
		{"minimal", base, "", ""},
		{"every filter", base + "&job_instance_id=20731546655&operator=admin&name=%E5%B7%A1%E6%A3%80&launch_mode=3&type=0&status=3&ip=10.0.2.11&job_cron_id=501&offset=10000&length=200", "", ""},
		{"business set", "bk_scope_type=biz_set&bk_scope_id=9991001&create_time_start=1&create_time_end=2", "", ""},
		{"tenant_set passes, to end in 404", "bk_scope_type=tenant_set&bk_scope_id=1&create_time_start=1&create_time_end=2", "", ""},
		{"start after end", "bk_scope_type=biz&bk_scope_id=2&create_time_start=2&create_time_end=1", "", ""},
		{"wildcards in name", base + "&name=%25_", "", ""},
		{"ip with a cloud area", base + "&ip=0:10.0.2.11", "", ""},
		{"status 15", base + "&status=15", "", ""},
		{"empty optional numbers", base + "&job_instance_id=&launch_mode=&type=&status=&job_cron_id=&offset=&length=", "", ""},
		{"blank operator and name", base + "&operator=&name=%20", "", ""},

		{"missing bk_scope_type", "bk_scope_id=2&create_time_start=1&create_time_end=2", "bk_scope_type", "required"},
		{"unknown bk_scope_type", "bk_scope_type=business&bk_scope_id=2&create_time_start=1&create_time_end=2", "bk_scope_type", "enum"},
		{"blank bk_scope_id", "bk_scope_type=biz&bk_scope_id=%20%20&create_time_start=1&create_time_end=2", "bk_scope_id", "pattern"},
		{"missing create_time_start", "bk_scope_type=biz&bk_scope_id=2&create_time_end=2", "create_time_start", "required"},
		{"empty create_time_start", "bk_scope_type=biz&bk_scope_id=2&create_time_start=&create_time_end=2", "create_time_start", "empty"},
		{"non-numeric create_time_end", "bk_scope_type=biz&bk_scope_id=2&create_time_start=1&create_time_end=abc", "create_time_end", "parse"},
		{"fractional job_instance_id", base + "&job_instance_id=1.5", "job_instance_id", "parse"},
		{"launch_mode 4", base + "&launch_mode=4", "launch_mode", "enum"},
		{"type 3", base + "&type=3", "type", "enum"},
		{"status 12", base + "&status=12", "status", "enum"},
		{"status beyond int32", base + "&status=2147483648", "status", "parse"},
		{"create_time_end beyond int64", "bk_scope_type=biz&bk_scope_id=2&create_time_start=1&create_time_end=9223372036854775808", "create_time_end", "parse"},
		{"offset below 0", base + "&offset=-1", "offset", "minimum"},
		{"offset above 10000", base + "&offset=10001", "offset", "maximum"},
		{"length 0", base + "&length=0", "length", "minimum"},
		{"length above 200", base + "&length=201", "length", "maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, bkjob.UserAPIPath+"?"+tt.query, nil)
			req.Header.Set("X-Bkapi-Authorization", `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"admin"}`)
			req.Header.Set("Blueking-Language", "en")
			route, pathParams, err := router.FindRoute(req)
			require.NoError(t, err)
			err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
				Request:    req,
				PathParams: pathParams,
				Route:      route,
				Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			})
			if tt.param == "" {
				assert.NoError(t, err)
				return
			}
			var re *openapi3filter.RequestError
			require.ErrorAs(t, err, &re)
			require.NotNil(t, re.Parameter, "reason: %s", re.Reason)
			assert.Equal(t, tt.param, re.Parameter.Name)
			var pe *openapi3filter.ParseError
			var se *openapi3.SchemaError
			switch {
			case tt.want == "required":
				assert.ErrorIs(t, err, openapi3filter.ErrInvalidRequired)
			case tt.want == "empty":
				assert.ErrorIs(t, err, openapi3filter.ErrInvalidEmptyValue)
			case tt.want == "parse":
				assert.ErrorAs(t, err, &pe)
			case assert.ErrorAs(t, err, &se):
				assert.Equal(t, tt.want, se.SchemaField, "reason: %s", se.Reason)
			}
		})
	}
}
