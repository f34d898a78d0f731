package contract

import (
	"fmt"
	"regexp"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// registry returns every check in the order they run: first the ones that
// only need error answers, then those that learn from the target's data, then
// the conformance summary of every response received.
func registry() []checkDef {
	var defs []checkDef
	defs = append(defs, gatewayChecks()...)
	defs = append(defs, permissionChecks()...)
	defs = append(defs, ruleChecks()...)
	defs = append(defs, semanticChecks()...)
	defs = append(defs, systemChecks()...)
	defs = append(defs, conformanceChecks()...)
	return defs
}

// wantErr is the v4 error a request must get.
type wantErr struct {
	status         int
	code           string
	message        string         // exact text, unless messageRE is set
	messageRE      *regexp.Regexp // when the text has a part the suite cannot know
	detailsCode    string         // "" when details are not checked
	detailsMessage string         // "" means equal to message
}

func (w wantErr) String() string {
	msg := fmt.Sprintf("%q", w.message)
	if w.messageRE != nil {
		msg = "/" + w.messageRE.String() + "/"
	}
	s := fmt.Sprintf("%d %s %s", w.status, w.code, msg)
	if w.detailsCode != "" {
		dm := w.detailsMessage
		if dm == "" {
			dm = w.message
		}
		s += fmt.Sprintf(" (details %s %q)", w.detailsCode, dm)
	}
	return s
}

// Real texts of bk-job's errors (Chinese, the default language).
func errMissing(name string) wantErr {
	return wantErr{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + name + "]缺失", detailsCode: "1241004"}
}

func errType(name string) wantErr {
	return wantErr{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + name + "]类型错误", detailsCode: "1241020"}
}

func errInvalid(name string) wantErr {
	return wantErr{status: 400, code: "INVALID_ARGUMENT", message: "请求参数[" + name + "]不合法", detailsCode: "1241005"}
}

var constraintTexts = map[string]string{
	"offset": "最多只能查偏移量为 0-10000 的执行历史",
	"length": "单次返回最大记录数量length必须在 1-200 之间",
}

func errBind(name string) wantErr {
	return wantErr{status: 400, code: "INVALID_ARGUMENT", message: "字段[getJobInstanceList." + name + "]绑定失败",
		detailsCode: "1241025", detailsMessage: constraintTexts[name]}
}

var errNotFound = wantErr{status: 404, code: "NOT_FOUND", message: "业务/业务集不存在或已被归档", detailsCode: "1243049"}

// expectError fails the check unless ex is the v4 error want.
func (t *checker) expectError(ex *exchange, label string, want wantErr) {
	if msg := errorMismatch(ex, want); msg != "" {
		t.errorf(ex, "%s: %s", label, msg)
	}
}

// expectList fails the check unless ex is a 200 job_instance_list, and returns its tasks.
func (t *checker) expectList(ex *exchange, label string) []item {
	items, err := parseList(ex)
	if err != nil {
		t.fatalf(ex, "%s: %v", label, err)
	}
	return items
}

// list sends r and requires a 200 job_instance_list.
func (t *checker) list(label string, r request) []item {
	return t.expectList(t.do(r), label)
}

// Reasons of the gateway's 400 INVALID_ARGS, word for word.
const (
	reasonNoAppCode = "app code cannot be empty"
	reasonNotJSON   = "request header X-Bkapi-Authorization is not a valid JSON"
	reasonNoSecret  = "please provide bk_app_secret or bk_signature to verify app"
	reasonNoUser    = "user authentication failed, please provide a valid user identity, such as bk_username, bk_token, access_token"
)

// expectGateway400 fails the check unless ex is the gateway's 400 INVALID_ARGS with reason.
func (t *checker) expectGateway400(ex *exchange, label, reason string) {
	want := `Parameters error [reason="` + reason + `"]`
	g, ok := parseGatewayError(ex)
	switch {
	case ex.status != 400 || !ok || g.Code != "1640001" || g.CodeName != "INVALID_ARGS" || g.Message != want:
		t.errorf(ex, "%s: got %s, want 400 gateway 1640001 INVALID_ARGS %q", label, describe(ex), want)
	case g.Result != false || g.Data != nil:
		t.errorf(ex, "%s: the gateway body must have \"result\": false and \"data\": null, got result %v, data %v", label, g.Result, g.Data)
	case ex.respHdr.Get("X-Bkapi-Error-Code") != "1640001":
		t.errorf(ex, "%s: X-Bkapi-Error-Code is %q, want \"1640001\"", label, ex.respHdr.Get("X-Bkapi-Error-Code"))
	case ex.respHdr.Get("X-Bkapi-Error-Message") != want:
		t.errorf(ex, "%s: X-Bkapi-Error-Message is %q, want %q", label, ex.respHdr.Get("X-Bkapi-Error-Message"), want)
	}
}

func gatewayChecks() []checkDef {
	return []checkDef{
		{"gateway/no_auth_header", "no X-Bkapi-Authorization: the gateway's 400 INVALID_ARGS, app code cannot be empty", func(t *checker) {
			ex := t.do(request{query: t.baseParams(), auth: authNone})
			t.expectGateway400(ex, "without X-Bkapi-Authorization", reasonNoAppCode)
		}},
		{"gateway/malformed_auth_header", "X-Bkapi-Authorization that is not JSON: the gateway's 400, not a valid JSON", func(t *checker) {
			ex := t.do(request{query: t.baseParams(), auth: authCustom, custom: "bk_app_code=demo"})
			t.expectGateway400(ex, "with X-Bkapi-Authorization: bk_app_code=demo", reasonNotJSON)
		}},
		{"gateway/no_app_secret", "bk_app_code without bk_app_secret or bk_signature: the gateway's 400", func(t *checker) {
			if t.s.authField("bk_app_code") == "" {
				t.skipConfigf("--auth has no bk_app_code")
			}
			auth := t.s.authWithout("bk_app_secret", "bk_signature")
			ex := t.do(request{query: t.baseParams(), auth: authCustom, custom: auth})
			t.expectGateway400(ex, "without bk_app_secret or bk_signature", reasonNoSecret)
		}},
		{"gateway/no_user_identity", "user API with an app but no user: the gateway's 400, user authentication failed", func(t *checker) {
			auth := t.s.authWithout("bk_username", "bk_token", "access_token")
			ex := t.do(request{query: t.baseParams(), auth: authCustom, custom: auth})
			t.expectGateway400(ex, "user API without bk_username, bk_token or access_token", reasonNoUser)
		}},
	}
}

// permissionData checks the 403 data block: what to apply for in IAM.
func permissionData(e v4Error, sc bkjob.Scope) string {
	if !e.HasData {
		return "error.data (the permission to apply for) is missing"
	}
	get := func(m map[string]any, key string) string { return scalarString(m[key]) }
	if get(e.Data, "system_id") != "bk_job" {
		return fmt.Sprintf("error.data.system_id is %q, want \"bk_job\"", get(e.Data, "system_id"))
	}
	actions, _ := e.Data["actions"].([]any)
	if len(actions) == 0 {
		return "error.data.actions is empty"
	}
	action, _ := actions[0].(map[string]any)
	if get(action, "id") != "access_business" {
		return fmt.Sprintf("error.data.actions[0].id is %q, want \"access_business\"", get(action, "id"))
	}
	rts, _ := action["related_resource_types"].([]any)
	if len(rts) == 0 {
		return "error.data.actions[0].related_resource_types is empty"
	}
	rt, _ := rts[0].(map[string]any)
	wantType := "biz"
	if sc.Type == bkjob.ScopeBizSet {
		wantType = "business_set"
	}
	if get(rt, "system_id") != "bk_cmdb" || get(rt, "type") != wantType {
		return fmt.Sprintf("related_resource_types[0] is %s/%s, want bk_cmdb/%s", get(rt, "system_id"), get(rt, "type"), wantType)
	}
	insts, _ := rt["instances"].([]any)
	var path []any
	if len(insts) > 0 {
		path, _ = insts[0].([]any)
	}
	if len(path) == 0 {
		return "related_resource_types[0].instances is empty"
	}
	inst, _ := path[0].(map[string]any)
	if get(inst, "id") != sc.ID || get(inst, "type") != wantType {
		return fmt.Sprintf("the instance is %s %q, want %s %q", get(inst, "type"), get(inst, "id"), wantType, sc.ID)
	}
	return ""
}

func permissionChecks() []checkDef {
	forbidden := func(t *checker) bkjob.Scope {
		if t.s.cfg.ForbiddenScope.Type == "" {
			t.skipConfigf("no --forbidden-scope given")
		}
		return t.s.cfg.ForbiddenScope
	}
	missing := func(t *checker) bkjob.Scope {
		if t.s.cfg.MissingScope.Type == "" {
			t.skipConfigf("no --missing-scope given")
		}
		return t.s.cfg.MissingScope
	}
	noPermission := func(t *checker) wantErr {
		w := wantErr{status: 403, code: "NO_PERMISSION"}
		const tail = ")权限不足，请前往权限中心确认并申请补充后重试"
		if u := t.s.authField("bk_username"); u != "" {
			w.message = "用户(" + u + tail
		} else {
			w.messageRE = regexp.MustCompile(`^用户\(.+\)` + regexp.QuoteMeta(tail) + `$`)
		}
		return w
	}
	return []checkDef{
		{"permissions/forbidden_scope", "a scope the user may not read: 403 NO_PERMISSION with the permission data", func(t *checker) {
			sc := forbidden(t)
			from, to := t.s.window()
			ex := t.do(request{query: scopeParams(sc, from, to)})
			t.expectError(ex, "scope "+sc.String(), noPermission(t))
			if e, ok := parseV4Error(ex); ok && ex.status == 403 {
				if msg := permissionData(e, sc); msg != "" {
					t.errorf(ex, "scope %s: %s", sc, msg)
				}
			}
		}},
		{"permissions/forbidden_before_validation", "no permission wins over bad parameters: still 403", func(t *checker) {
			sc := forbidden(t)
			from, to := t.s.window()
			q := scopeParams(sc, from, to).without("create_time_start").with("offset", "-1")
			ex := t.do(request{query: q})
			t.expectError(ex, "scope "+sc.String()+" without create_time_start, offset=-1", noPermission(t))
		}},
		{"permissions/missing_scope", "a scope that does not exist: 404 NOT_FOUND", func(t *checker) {
			sc := missing(t)
			from, to := t.s.window()
			ex := t.do(request{query: scopeParams(sc, from, to)})
			t.expectError(ex, "scope "+sc.String(), errNotFound)
		}},
		{"permissions/missing_before_validation", "an unknown scope wins over bad parameters: still 404", func(t *checker) {
			sc := missing(t)
			from, to := t.s.window()
			q := scopeParams(sc, from, to).without("create_time_start").with("offset", "-1")
			ex := t.do(request{query: q})
			t.expectError(ex, "scope "+sc.String()+" without create_time_start, offset=-1", errNotFound)
		}},
	}
}

// ruleCase is one bad request and the error it must get.
type ruleCase struct {
	name     string
	doc      string
	label    string
	query    func(base params) params
	language string
	want     wantErr
}

func ruleChecks() []checkDef {
	var cases []ruleCase
	for _, p := range []string{"bk_scope_type", "bk_scope_id", "create_time_start", "create_time_end"} {
		cases = append(cases, ruleCase{
			name: "rules/missing/" + p, doc: p + " missing: 400 请求参数[" + p + "]缺失",
			label: "without " + p, query: func(b params) params { return b.without(p) }, want: errMissing(p),
		})
	}
	cases = append(cases, ruleCase{
		name: "rules/missing/create_time_start_empty", doc: "create_time_start= (empty) counts as missing",
		label: "create_time_start=", query: func(b params) params { return b.with("create_time_start", "") },
		want: errMissing("create_time_start"),
	})
	for _, p := range []string{"create_time_start", "create_time_end", "job_instance_id", "launch_mode", "type", "status", "job_cron_id", "offset", "length"} {
		cases = append(cases, ruleCase{
			name: "rules/type/" + p, doc: p + "=abc: 400 请求参数[" + p + "]类型错误",
			label: p + "=abc", query: func(b params) params { return b.with(p, "abc") }, want: errType(p),
		})
	}
	cases = append(cases,
		ruleCase{
			name: "rules/type/length_overflow", doc: "length beyond int32 is a type error, not a range error",
			label: "length=2147483648", query: func(b params) params { return b.with("length", "2147483648") }, want: errType("length"),
		},
		ruleCase{
			name: "rules/type/create_time_end_overflow", doc: "create_time_end beyond int64 is a type error",
			label: "create_time_end=9223372036854775808", query: func(b params) params { return b.with("create_time_end", "9223372036854775808") },
			want: errType("create_time_end"),
		},
		ruleCase{
			name: "rules/type/length_exponent", doc: "length=1e1 is a type error: only a sign and digits make a number",
			label: "length=1e1", query: func(b params) params { return b.with("length", "1e1") }, want: errType("length"),
		},
		ruleCase{
			name: "rules/type/offset_hex", doc: "offset=0x1 is a type error: only a sign and digits make a number",
			label: "offset=0x1", query: func(b params) params { return b.with("offset", "0x1") }, want: errType("offset"),
		},
	)
	for _, r := range []struct{ name, param, value string }{
		{"offset_negative", "offset", "-1"},
		{"offset_above_max", "offset", "10001"},
		{"length_zero", "length", "0"},
		{"length_above_max", "length", "201"},
	} {
		cases = append(cases, ruleCase{
			name: "rules/range/" + r.name, doc: r.param + "=" + r.value + " is rejected (400 绑定失败), not clamped",
			label: r.param + "=" + r.value, query: func(b params) params { return b.with(r.param, r.value) }, want: errBind(r.param),
		})
	}
	for _, r := range []struct{ param, value string }{
		{"bk_scope_type", "foo"}, {"status", "12"}, {"launch_mode", "4"}, {"type", "3"},
	} {
		cases = append(cases, ruleCase{
			name: "rules/invalid/" + r.param, doc: r.param + "=" + r.value + ": 400 请求参数[" + r.param + "]不合法, never a 5xx or ignored",
			label: r.param + "=" + r.value, query: func(b params) params { return b.with(r.param, r.value) }, want: errInvalid(r.param),
		})
	}
	cases = append(cases, ruleCase{
		name: "rules/english_texts", doc: "Blueking-Language: en switches the texts to English",
		label: "without create_time_end, Blueking-Language: en", language: "en",
		query: func(b params) params { return b.without("create_time_end") },
		want:  wantErr{status: 400, code: "INVALID_ARGUMENT", message: "Missing request parameter [create_time_end]", detailsCode: "1241004"},
	})

	defs := make([]checkDef, 0, len(cases)+2)
	for _, c := range cases {
		defs = append(defs, checkDef{c.name, c.doc, func(t *checker) {
			ex := t.do(request{query: c.query(t.baseParams()), language: c.language})
			t.expectError(ex, c.label, c.want)
		}})
	}
	defs = append(defs,
		checkDef{"rules/range/offset_max_accepted", "offset=10000 (the maximum) is accepted", func(t *checker) {
			items := t.list("offset=10000", request{query: t.baseParams().with("offset", "10000").with("length", "1")})
			if len(items) > 1 {
				t.errorf(nil, "offset=10000&length=1 returned %d tasks", len(items))
			}
		}},
		checkDef{"rules/number_sign_accepted", "a number may carry a sign: length=+3 is length 3", func(t *checker) {
			smp := t.needTasks(3)
			items := t.list("length=+3", request{query: t.baseParams().with("length", "+3")})
			if want := ids(smp.top[:3]); !equalIDs(ids(items), want) {
				t.errorf(nil, "length=+3 returned %s, want the first 3 tasks %s", fmtIDs(ids(items)), fmtIDs(want))
			}
		}},
		checkDef{"rules/repeated_param_first_wins", "a repeated parameter counts with its first value: length=1&length=2 is length 1", func(t *checker) {
			smp := t.needTasks(2)
			q := append(t.baseParams().with("length", "1"), param{"length", "2"})
			items := t.list("length=1&length=2", request{query: q})
			if len(items) != 1 || items[0].ID != smp.top[0].ID {
				t.errorf(nil, "length=1&length=2 returned %s, want the newest task [%d]: the first value counts", fmtIDs(ids(items)), smp.top[0].ID)
			}
		}},
		checkDef{"rules/empty_offset_length_default", "offset= and length= (empty) mean the defaults 0 and 10", func(t *checker) {
			items := t.list("offset=&length=", request{query: t.baseParams().with("offset", "").with("length", "")})
			if len(items) > 10 {
				t.errorf(nil, "offset=&length= returned %d tasks, want at most 10 (the default length)", len(items))
			}
			first := t.list("offset=0&length=10", request{query: pageParams(t.baseParams(), 0, 10)})
			if !equalIDs(ids(items), ids(first)) {
				t.errorf(nil, "offset=&length= returned %s, but offset=0&length=10 returns %s", fmtIDs(ids(items)), fmtIDs(ids(first)))
			}
		}},
	)
	return defs
}

// pageParams adds offset and length, always in that order so that equal pages
// are answered from the cache.
func pageParams(b params, offset, length int) params {
	return b.with("offset", fmt.Sprint(offset)).with("length", fmt.Sprint(length))
}
