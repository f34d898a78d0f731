package contract_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fake is a small, independent implementation of get_job_instance_list
// written from the reference, used to test the suite without the mock.
type fake struct {
	now   int64
	tasks []fakeTask
	users map[string][]string // user → readable scopes ("*": all)
}

type fakeTask struct {
	id, create, start, end    int64
	scopeType, scopeID        string
	name, operator            string
	typ, launch, status, cron int64
	plan, template            int64
	hosts                     []string
	hasStart, hasEnd, running bool
}

var fakeNames = []string{"发布-web集群", "API Quick execution script restart nginx", "每5分钟巡检", "快速执行脚本_清理日志"}

// newFake builds a history of n tasks in biz:2 and a few in biz:3, the newest
// a little before now.
func newFake(now time.Time, n int) *fake {
	f := &fake{now: now.UnixMilli(), users: map[string][]string{"admin": {"*"}, "zhangsan": {"biz:2"}}}
	statuses := []int64{3, 3, 3, 4, 2, 1, 3, 9, 7, 3, 11, 15, 13, 5}
	add := func(i int, scopeID string, create int64) {
		t := fakeTask{
			id: 20000000000 + int64(i), create: create, scopeType: "biz", scopeID: scopeID,
			operator: []string{"admin", "zhangsan", "lisi"}[i%3],
			typ:      int64(i % 3), launch: int64(i%3 + 1), status: statuses[i%len(statuses)],
			hosts: []string{fmt.Sprintf("10.0.%s.%d", scopeID, 11+i%3)},
		}
		t.name = fakeNames[i%len(fakeNames)]
		t.plan, t.template = -1, -1
		if t.typ == 0 {
			t.plan, t.template = 1001, 101
		}
		if t.launch == 3 {
			t.cron = 501
		}
		if t.status != 1 {
			t.start, t.hasStart = create+200, true
		}
		if fakeFinished(t.status) {
			t.end, t.hasEnd = create+5000, true
		}
		t.running = t.status == 2 || t.status == 7 || t.status == 10
		f.tasks = append(f.tasks, t)
	}
	for i := 0; i < n; i++ {
		create := f.now - 90_000 - int64(i/2)*60_000 // pairs share a create_time
		add(i, "2", create)
	}
	for i := 0; i < 5; i++ {
		add(n+i, "3", f.now-120_000-int64(i)*3_600_000)
	}
	return f
}

var fakeParams = []string{"bk_scope_type", "bk_scope_id", "create_time_start", "create_time_end", "job_instance_id",
	"operator", "name", "launch_mode", "type", "status", "ip", "job_cron_id", "offset", "length"}

var numberRE = regexp.MustCompile(`^[+-]?[0-9]+$`)

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The fake's clock is fixed: so is its Date header, which sets the suite's window.
	w.Header().Set("Date", time.UnixMilli(f.now).UTC().Format(http.TimeFormat))
	path := r.URL.Path
	system := strings.HasSuffix(path, "/api/v4/system/get_job_instance_list")
	if r.Method != http.MethodGet || (!system && !strings.HasSuffix(path, "/api/v4/get_job_instance_list")) {
		gatewayErr(w, 404, 1640401, "API_NOT_FOUND", "API not found")
		return
	}
	// The gateway.
	var auth map[string]any
	h := r.Header.Get("X-Bkapi-Authorization")
	if h == "" {
		gatewayErr(w, 400, 1640001, "INVALID_ARGS", `Parameters error [reason="app code cannot be empty"]`)
		return
	}
	if json.Unmarshal([]byte(h), &auth) != nil {
		gatewayErr(w, 400, 1640001, "INVALID_ARGS", `Parameters error [reason="request header X-Bkapi-Authorization is not a valid JSON"]`)
		return
	}
	str := func(k string) string { s, _ := auth[k].(string); return s }
	switch {
	case str("bk_app_code") == "":
		gatewayErr(w, 400, 1640001, "INVALID_ARGS", `Parameters error [reason="app code cannot be empty"]`)
		return
	case str("bk_app_secret") == "" && str("bk_signature") == "":
		gatewayErr(w, 400, 1640001, "INVALID_ARGS", `Parameters error [reason="please provide bk_app_secret or bk_signature to verify app"]`)
		return
	case !system && str("bk_username") == "":
		gatewayErr(w, 400, 1640001, "INVALID_ARGS", `Parameters error [reason="user authentication failed, please provide a valid user identity, such as bk_username, bk_token, access_token"]`)
		return
	}
	user := str("bk_username")
	en := r.Header.Get("Blueking-Language") == "en"
	rid := md5.Sum([]byte(r.URL.String()))
	reqID := hex.EncodeToString(rid[:])
	q := map[string]string{}
	raw, _ := url.ParseQuery(r.URL.RawQuery)
	for k, v := range raw {
		q[k] = v[0]
	}
	fail := func(status int, code, zh, enMsg, detailCode, detail string, data any) {
		msg := zh
		if en {
			msg = enMsg
		}
		if detail == "" {
			detail = msg
		}
		e := map[string]any{"code": code, "message": msg}
		if data != nil {
			e["data"] = data
		}
		if detailCode != "" {
			e["details"] = []any{map[string]any{"code": detailCode, "message": detail}}
		}
		writeFakeJSON(w, status, map[string]any{"error": e, "job_request_id": reqID})
	}
	st, sid := strings.TrimSpace(q["bk_scope_type"]), strings.TrimSpace(q["bk_scope_id"])
	if st != "" && sid != "" {
		if st != "biz" && st != "biz_set" && st != "tenant_set" {
			fail(400, "INVALID_ARGUMENT", "请求参数[bk_scope_type]不合法", "Invalid request parameter [bk_scope_type]", "1241005", "", nil)
			return
		}
		if st != "biz" || (sid != "2" && sid != "3") {
			fail(404, "NOT_FOUND", "业务/业务集不存在或已被归档", "Business/Business Set not exist or archived", "1243049", "", nil)
			return
		}
		if !system && !f.canRead(user, st+":"+sid) {
			data := map[string]any{"system_id": "bk_job", "system_name": "作业平台", "actions": []any{map[string]any{
				"id": "access_business", "name": "业务访问", "related_resource_types": []any{map[string]any{
					"system_id": "bk_cmdb", "system_name": "配置平台", "type": "biz", "type_name": "业务",
					"instances": []any{[]any{map[string]any{"id": sid, "type": "biz", "type_name": "业务", "name": "测试业务"}}}}}}}}
			fail(403, "NO_PERMISSION", "用户("+user+")权限不足，请前往权限中心确认并申请补充后重试", "", "", "", data)
			return
		}
	}
	nums := map[string]int64{}
	for _, p := range fakeParams {
		v, ok := q[p]
		required := p == "bk_scope_type" || p == "bk_scope_id" || p == "create_time_start" || p == "create_time_end"
		numeric := p != "bk_scope_type" && p != "bk_scope_id" && p != "operator" && p != "name" && p != "ip"
		if required && (!ok || (numeric && v == "")) {
			fail(400, "INVALID_ARGUMENT", "请求参数["+p+"]缺失", "Missing request parameter ["+p+"]", "1241004", "", nil)
			return
		}
		if numeric && ok && v != "" {
			bits := 64
			if p == "offset" || p == "length" || p == "status" || p == "type" || p == "launch_mode" {
				bits = 32
			}
			n, err := strconv.ParseInt(v, 10, bits)
			if !numberRE.MatchString(v) || err != nil {
				fail(400, "INVALID_ARGUMENT", "请求参数["+p+"]类型错误", "Parameter ["+p+"] type mismatch", "1241020", "", nil)
				return
			}
			nums[p] = n
		}
	}
	offset, length := int64(0), int64(10)
	if v, ok := nums["offset"]; ok {
		offset = v
	}
	if v, ok := nums["length"]; ok {
		length = v
	}
	if offset < 0 || offset > 10000 {
		fail(400, "INVALID_ARGUMENT", "字段[getJobInstanceList.offset]绑定失败", "Fields [getJobInstanceList.offset] bind failed", "1241025", "最多只能查偏移量为 0-10000 的执行历史", nil)
		return
	}
	if length < 1 || length > 200 {
		fail(400, "INVALID_ARGUMENT", "字段[getJobInstanceList.length]绑定失败", "Fields [getJobInstanceList.length] bind failed", "1241025", "单次返回最大记录数量length必须在 1-200 之间", nil)
		return
	}
	for _, p := range []string{"status", "launch_mode", "type"} {
		v, ok := nums[p]
		valid := map[string]func(int64) bool{
			"status":      func(v int64) bool { return v >= 1 && v <= 15 && v != 12 },
			"launch_mode": func(v int64) bool { return v >= 1 && v <= 3 },
			"type":        func(v int64) bool { return v >= 0 && v <= 2 },
		}[p]
		if ok && !valid(v) {
			fail(400, "INVALID_ARGUMENT", "请求参数["+p+"]不合法", "Invalid request parameter ["+p+"]", "1241005", "", nil)
			return
		}
	}
	var out []fakeTask
	for _, t := range f.tasks {
		if t.scopeType != st || t.scopeID != sid {
			continue
		}
		if ip := q["ip"]; ip != "" && !contains(t.hosts, ip) {
			continue
		}
		if id := nums["job_instance_id"]; id > 0 {
			if t.id == id {
				out = append(out, t)
			}
			continue
		}
		if t.create < nums["create_time_start"] || t.create > nums["create_time_end"] {
			continue
		}
		if op := strings.TrimSpace(q["operator"]); op != "" && !strings.EqualFold(op, t.operator) {
			continue
		}
		if name := strings.TrimSpace(q["name"]); name != "" && !fakeLike(q["name"], t.name) {
			continue
		}
		if v, ok := nums["status"]; ok && v != t.status {
			continue
		}
		if v, ok := nums["type"]; ok && v != t.typ {
			continue
		}
		if v, ok := nums["launch_mode"]; ok && v != t.launch {
			continue
		}
		if v := nums["job_cron_id"]; v > 0 && v != t.cron {
			continue
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].create != out[j].create {
			return out[i].create > out[j].create
		}
		return out[i].id < out[j].id
	})
	if offset >= int64(len(out)) {
		out = nil
	} else {
		out = out[offset:min(int64(len(out)), offset+length)]
	}
	list := make([]any, 0, len(out))
	for _, t := range out {
		m := map[string]any{"bk_biz_id": mustAtoi(t.scopeID), "bk_scope_type": t.scopeType, "bk_scope_id": t.scopeID,
			"job_instance_id": t.id, "job_plan_id": t.plan, "job_template_id": t.template, "name": t.name,
			"operator": t.operator, "launch_mode": t.launch, "status": t.status, "type": t.typ, "create_time": t.create}
		if t.hasStart {
			m["start_time"] = t.start
		}
		if t.hasEnd {
			m["end_time"] = t.end
			m["total_time"] = t.end - t.start
		}
		if t.running {
			m["total_time"] = f.now - t.start
		}
		list = append(list, m)
	}
	writeFakeJSON(w, 200, map[string]any{"data": map[string]any{"job_instance_list": list}, "job_request_id": reqID})
}

func (f *fake) canRead(user, scope string) bool {
	for _, s := range f.users[user] {
		if s == "*" || s == scope {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustAtoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func gatewayErr(w http.ResponseWriter, status, code int, name, msg string) {
	w.Header().Set("X-Bkapi-Error-Code", strconv.Itoa(code))
	w.Header().Set("X-Bkapi-Error-Message", msg)
	writeFakeJSON(w, status, map[string]any{"code": code, "code_name": name, "message": msg, "result": false, "data": nil})
}

func writeFakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func fakeFinished(status int64) bool {
	switch status {
	case 3, 4, 5, 6, 8, 9, 11, 13, 14:
		return true
	}
	return false
}

// fakeLike is MySQL's name LIKE '%p%', unescaped, ignoring case, written
// independently of the suite's own matcher: a recursive match over runes.
func fakeLike(p, name string) bool {
	pr, nr := []rune(strings.ToLower(p)), []rune(strings.ToLower(name))
	var match func(i, j int) bool // pr[i:] matches a prefix of nr[j:]
	match = func(i, j int) bool {
		if i == len(pr) {
			return true
		}
		switch pr[i] {
		case '%':
			for k := j; k <= len(nr); k++ {
				if match(i+1, k) {
					return true
				}
			}
			return false
		case '_':
			return j < len(nr) && match(i+1, j+1)
		}
		return j < len(nr) && nr[j] == pr[i] && match(i+1, j+1)
	}
	for j := 0; j <= len(nr); j++ {
		if match(0, j) {
			return true
		}
	}
	return false
}
