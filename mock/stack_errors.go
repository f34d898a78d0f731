package mock

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// errKind names one class of error the real job-execute service answers with.
// One table (v4Errors) maps each kind to its status, code and texts.
type errKind int

const (
	errInvalidParam errKind = iota // bad bk_scope_type, invalid enum value
	errMissingParam
	errTypeMismatch
	errBindFailed // constraint: blank scope, offset/length out of range
	errScopeNotFound
	errNoPermission
	errInternal
	errTooManyParams // more query parameters than anyone would send
)

type v4ErrorDef struct {
	status      int
	code        string
	zh, en      string // message templates; {0} is the parameter, field path or user
	detailsCode string // "" when the body has no details
}

var v4Errors = [...]v4ErrorDef{
	errInvalidParam:  {http.StatusBadRequest, "INVALID_ARGUMENT", "请求参数[{0}]不合法", "Invalid request parameter [{0}]", "1241005"},
	errMissingParam:  {http.StatusBadRequest, "INVALID_ARGUMENT", "请求参数[{0}]缺失", "Missing request parameter [{0}]", "1241004"},
	errTypeMismatch:  {http.StatusBadRequest, "INVALID_ARGUMENT", "请求参数[{0}]类型错误", "Parameter [{0}] type mismatch", "1241020"},
	errBindFailed:    {http.StatusBadRequest, "INVALID_ARGUMENT", "字段[{0}]绑定失败", "Fields [{0}] bind failed", "1241025"},
	errScopeNotFound: {http.StatusNotFound, "NOT_FOUND", "业务/业务集不存在或已被归档", "Business/Business Set not exist or archived", "1243049"},
	errNoPermission:  {http.StatusForbidden, "NO_PERMISSION", "用户({0})权限不足，请前往权限中心确认并申请补充后重试", "User ({0}) permission not allowed, please confirm and apply permission in IAM and try again", ""},
	errInternal:      {http.StatusInternalServerError, "INTERNAL", "内部服务器异常", "Internal Server Error", "1240002"},
	errTooManyParams: {http.StatusBadRequest, "INVALID_ARGUMENT", "请求参数过多，最多 10000 个", "Too many request parameters, at most 10000", "1241005"},
}

// constraintTexts are the messages of the bean-validation constraints, by parameter.
var constraintTexts = map[string][2]string{ // zh, en
	"offset":        {"最多只能查偏移量为 0-10000 的执行历史", "Offset must be in range: [0,10000]"},
	"length":        {"单次返回最大记录数量length必须在 1-200 之间", "The param 'length' must be in range: [1,200]"},
	"bk_scope_id":   {"参数 bk_scope_id 不能为空", "The param 'bk_scope_id' cannot be blank"},
	"bk_scope_type": {"参数 bk_scope_type 不能为空", "The param 'bk_scope_type' cannot be blank"},
}

// apiError is one failure of a request, as the real service reports it.
type apiError struct {
	kind  errKind
	param string       // the parameter concerned, if any
	user  string       // errNoPermission: the user named in the message
	scope *scopeDenied // errNoPermission: the scope the user may not access
}

type scopeDenied struct {
	bkjob.Scope
	name string
}

func (e *apiError) Error() string { return v4Errors[e.kind].code + " " + e.param }

// message returns the error message and the details message in the request's language.
func (e *apiError) message(en bool) (msg, detail string) {
	def := v4Errors[e.kind]
	tmpl := def.zh
	if en {
		tmpl = def.en
	}
	arg := e.param
	switch e.kind {
	case errNoPermission:
		arg = e.user
	case errBindFailed:
		arg = "getJobInstanceList." + e.param
	}
	msg = strings.Replace(tmpl, "{0}", arg, 1)
	detail = msg
	if e.kind == errBindFailed {
		t := constraintTexts[e.param]
		detail = t[0]
		if en {
			detail = t[1]
		}
	}
	return msg, detail
}

// writeV4Error writes e in the v4 envelope of job-execute.
func writeV4Error(w http.ResponseWriter, e *apiError, en bool, requestID string) {
	def := v4Errors[e.kind]
	msg, detail := e.message(en)
	b := make([]byte, 0, 512)
	b = append(b, `{"error":{"code":`...)
	b = appendString(b, def.code)
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	if e.kind == errNoPermission && e.scope != nil {
		b = append(b, `,"data":`...)
		b = appendPermissionData(b, e.scope)
	}
	if def.detailsCode != "" {
		b = append(b, `,"details":[{"code":`...)
		b = appendString(b, def.detailsCode)
		b = append(b, `,"message":`...)
		b = appendString(b, detail)
		b = append(b, `}]`...)
	}
	b = append(b, `},"job_request_id":`...)
	b = appendString(b, requestID)
	b = append(b, "}\n"...)
	writeJSON(w, def.status, b)
}

// appendPermissionData writes the IAM "apply for permission" block of a 403.
// It stays in Chinese whatever the request's language, as in the real server.
func appendPermissionData(b []byte, s *scopeDenied) []byte {
	typ, typeName := "biz", "业务"
	if s.Type == bkjob.ScopeBizSet {
		typ, typeName = "business_set", "业务集"
	}
	b = append(b, `{"system_id":"bk_job","system_name":"作业平台","actions":[{"id":"access_business","name":"业务访问","related_resource_types":[{"system_id":"bk_cmdb","system_name":"配置平台","type":`...)
	b = appendString(b, typ)
	b = append(b, `,"type_name":`...)
	b = appendString(b, typeName)
	b = append(b, `,"instances":[[{"id":`...)
	b = appendString(b, s.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"type_name":`...)
	b = appendString(b, typeName)
	b = append(b, `,"name":`...)
	b = appendString(b, s.name)
	b = append(b, `}]]}]}]}`...)
	return b
}

// gatewayError is an answer of the API gateway, in its legacy envelope.
type gatewayError struct {
	status   int
	code     int
	codeName string
	message  string
}

const gatewayInvalidArgs = 1640001

// gatewayTimeout is the gateway's 504: the backend did not answer in time.
func gatewayTimeout() *gatewayError {
	return &gatewayError{http.StatusGatewayTimeout, 1650401, "REQUEST_BACKEND_TIMEOUT", `Request backend service timeout [upstream_error="cannot read header from upstream"]`}
}

// gatewayBadGateway is the gateway's 502 when the backend gives no answer
// (it closed the connection, or could not be reached).
func gatewayBadGateway() *gatewayError {
	return &gatewayError{http.StatusBadGateway, 1650200, "BAD_GATEWAY", `Bad Gateway [upstream_error="cannot read header from upstream"]`}
}

func gatewayBadRequest(reason string) *gatewayError {
	return &gatewayError{http.StatusBadRequest, gatewayInvalidArgs, "INVALID_ARGS", `Parameters error [reason="` + reason + `"]`}
}

// gatewayNotFound is the gateway's 404. Control characters of the path are
// written %XX in the message, so that the X-Bkapi-Error-Message header can
// carry the same text as the body.
func gatewayNotFound(method, path string) *gatewayError {
	path = escapeControls(path)
	return &gatewayError{http.StatusNotFound, 1640401, "API_NOT_FOUND", `API not found [method="` + method + `" path="` + path + `"]`}
}

// escapeControls writes the ASCII control characters of s as %XX.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (e *gatewayError) Error() string { return e.codeName + ": " + e.message }

// writeGatewayError writes e as the gateway does: legacy body and X-Bkapi-Error-* headers.
func writeGatewayError(w http.ResponseWriter, e *gatewayError) {
	h := w.Header()
	h.Set("X-Bkapi-Error-Code", strconv.Itoa(e.code))
	h.Set("X-Bkapi-Error-Message", e.message)
	b := make([]byte, 0, 256)
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(e.code), 10)
	b = append(b, `,"code_name":`...)
	b = appendString(b, e.codeName)
	b = append(b, `,"message":`...)
	b = appendString(b, e.message)
	b = append(b, `,"result":false,"data":null}`+"\n"...)
	writeJSON(w, e.status, b)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

var jsonContentType = []string{"application/json"}
