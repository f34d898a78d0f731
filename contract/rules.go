package contract

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The rules one answer shows, each written once: the suite's checks apply
// them to the lists they receive, and Inspect to the answers a proxy sees.
// Each returns what is wrong, "" for nothing.

// orderProblem says where items are not newest first.
func orderProblem(items []item) string {
	for i := 1; i < len(items); i++ {
		a, b := items[i-1], items[i]
		if b.CreateTime > a.CreateTime {
			return fmt.Sprintf("task %d (create_time %d) comes after task %d (create_time %d): not newest first", b.ID, b.CreateTime, a.ID, a.CreateTime)
		}
	}
	return ""
}

// tieProblem says where tasks sharing a create_time are not in ascending id
// order, and counts the ties it saw.
func tieProblem(items []item) (string, int) {
	ties := 0
	for i := 1; i < len(items); i++ {
		a, b := items[i-1], items[i]
		if a.CreateTime != b.CreateTime {
			continue
		}
		ties++
		if b.ID < a.ID {
			return fmt.Sprintf("tasks %d and %d share create_time %d but come in descending id order", a.ID, b.ID, a.CreateTime), ties
		}
	}
	return "", ties
}

// positive returns the value of an integer parameter when it is above 0.
func positive(q params, key string) (int64, bool) {
	v, _ := q.get(key)
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil && n > 0
}

// outsideWindow says whether it lies outside the window q asks for; with a
// job_instance_id the window does not apply.
func outsideWindow(q params, it item) string {
	if _, ok := positive(q, "job_instance_id"); ok {
		return ""
	}
	start, _ := q.get("create_time_start")
	end, _ := q.get("create_time_end")
	if !between(it.CreateTime, start, end) {
		return fmt.Sprintf("task %d created at %d lies outside the window %s..%s", it.ID, it.CreateTime, start, end)
	}
	return ""
}

// scopeProblem checks it against the scope q asks for: the same scope,
// bk_scope_id a string, bk_biz_id (if any) equal to it on biz scopes only.
func scopeProblem(q params, it item) string {
	st, _ := q.get("bk_scope_type")
	sid, _ := q.get("bk_scope_id")
	st, sid = strings.TrimSpace(st), strings.TrimSpace(sid)
	if it.ScopeType != st || it.ScopeID != sid {
		return fmt.Sprintf("asked for scope %s:%s, got task %d of scope %s:%s", st, sid, it.ID, it.ScopeType, it.ScopeID)
	}
	if !it.has("bk_biz_id") {
		return ""
	}
	if st != "biz" {
		return fmt.Sprintf("task %d of scope %s:%s has a bk_biz_id", it.ID, st, sid)
	}
	if v, ok := it.int("bk_biz_id"); !ok || fmt.Sprint(v) != sid {
		return fmt.Sprintf("task %d: bk_biz_id is %v, want %s", it.ID, it.raw["bk_biz_id"], sid)
	}
	return ""
}

// quickIDProblem checks job_plan_id and job_template_id against the type.
func quickIDProblem(it item) string {
	plan, okp := it.int("job_plan_id")
	tmpl, okt := it.int("job_template_id")
	switch {
	case !okp || !okt:
		return fmt.Sprintf("task %d lacks job_plan_id or job_template_id", it.ID)
	case it.Type != 0 && (plan != -1 || tmpl != -1):
		return fmt.Sprintf("quick task %d (type %d) has job_plan_id %d, job_template_id %d; want -1, -1", it.ID, it.Type, plan, tmpl)
	case it.Type == 0 && (plan <= 0 || tmpl <= 0):
		return fmt.Sprintf("plan task %d (type 0) has job_plan_id %d, job_template_id %d; want real ids", it.ID, plan, tmpl)
	}
	return ""
}

// operatorMatches is the operator filter: an exact match, case ignored.
func operatorMatches(v string, it item) bool {
	return strings.EqualFold(it.Operator, strings.TrimSpace(v))
}

// likeMatcher returns whether a name is LIKE '%p%' under MySQL's default
// collation: % any run, _ any one character, case ignored, nothing escaped.
func likeMatcher(p string) func(string) bool {
	var b strings.Builder
	b.WriteString("(?is)")
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re := regexp.MustCompile(b.String())
	return re.MatchString
}

// filterRule is a filter whose effect one task shows.
type filterRule struct {
	param string
	check string // the suite's check of it
	// matcher returns whether a task passes the filter of value v.
	matcher func(v string) func(it item) bool
}

func enumMatcher(get func(item) int64) func(string) func(item) bool {
	return func(v string) func(item) bool {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return func(it item) bool { return err != nil || get(it) == n }
	}
}

// filterRules are the filters a returned task can be checked against (ip and
// job_cron_id are not: the API shows neither a task's hosts nor its cron job).
var filterRules = []filterRule{
	{"operator", "semantics/filter/operator", func(v string) func(item) bool {
		return func(it item) bool { return operatorMatches(v, it) }
	}},
	{"name", "semantics/filter/name", func(v string) func(item) bool {
		like := likeMatcher(v)
		return func(it item) bool { return like(it.Name) }
	}},
	{"status", "semantics/filter/status", enumMatcher(func(it item) int64 { return it.Status })},
	{"type", "semantics/filter/type", enumMatcher(func(it item) int64 { return it.Type })},
	{"launch_mode", "semantics/filter/launch_mode", enumMatcher(func(it item) int64 { return it.LaunchMode })},
}

// filterMatch returns the filter of param with value v.
func filterMatch(param, v string) func(item) bool {
	for _, r := range filterRules {
		if r.param == param {
			return r.matcher(v)
		}
	}
	panic("no filter rule for " + param)
}

// errorMismatch says how ex differs from the v4 error want, "" if it is it.
func errorMismatch(ex *exchange, want wantErr) string {
	e, ok := parseV4Error(ex)
	msgOK := e.Message == want.message
	if want.messageRE != nil {
		msgOK = want.messageRE.MatchString(e.Message)
	}
	detailsOK := true
	if want.detailsCode != "" {
		dm := want.detailsMessage
		if dm == "" {
			dm = e.Message
		}
		detailsOK = len(e.Details) > 0 && e.Details[0].Code == want.detailsCode && e.Details[0].Message == dm
	}
	if ex.status == want.status && ok && e.Code == want.code && msgOK && detailsOK {
		return ""
	}
	hint := ""
	if ex.status >= 500 {
		hint = " (a 5xx for a bad request)"
	}
	return fmt.Sprintf("got %s%s, want %s", describe(ex), hint, want)
}

// declared are the parameters in the server's declaration order, the order
// they bind in.
var declared = []string{"bk_scope_type", "bk_scope_id", "create_time_start", "create_time_end", "job_instance_id",
	"operator", "name", "launch_mode", "type", "status", "ip", "job_cron_id", "offset", "length"}

var numberPattern = regexp.MustCompile(`^[+-]?[0-9]+$`)

// rejection returns the error the contract gives a request with query q
// once it is past the gateway, the scope and the permission checks, and the
// suite's check of that rule; ok is false for a request the contract
// accepts. A repeated parameter counts with its first value.
func rejection(q params) (check string, want wantErr, ok bool) {
	st, _ := q.get("bk_scope_type")
	sid, _ := q.get("bk_scope_id")
	if strings.TrimSpace(st) != "" && strings.TrimSpace(sid) != "" {
		switch strings.TrimSpace(st) {
		case "biz", "biz_set", "tenant_set":
		default:
			return "rules/invalid/bk_scope_type", errInvalid("bk_scope_type"), true
		}
	}
	nums := map[string]int64{}
	for _, p := range declared {
		v, has := q.get(p)
		switch p {
		case "bk_scope_type", "bk_scope_id":
			if !has {
				return "rules/missing/" + p, errMissing(p), true
			}
			continue
		case "operator", "name", "ip":
			continue
		}
		required := p == "create_time_start" || p == "create_time_end"
		if required && (!has || v == "") {
			if has && p == "create_time_start" {
				return "rules/missing/create_time_start_empty", errMissing(p), true
			}
			return "rules/missing/" + p, errMissing(p), true
		}
		if !has || v == "" {
			continue
		}
		bits := 64
		switch p {
		case "offset", "length", "status", "type", "launch_mode":
			bits = 32
		}
		n, err := strconv.ParseInt(v, 10, bits)
		if !numberPattern.MatchString(v) || err != nil {
			check := "rules/type/" + p
			if numberPattern.MatchString(v) && (p == "length" || p == "create_time_end") {
				check += "_overflow" // the suite's check of numbers too large for their type
			}
			return check, errType(p), true
		}
		nums[p] = n
	}
	if n, has := nums["offset"]; has && n < 0 {
		return "rules/range/offset_negative", errBind("offset"), true
	} else if has && n > 10000 {
		return "rules/range/offset_above_max", errBind("offset"), true
	}
	if n, has := nums["length"]; has && n < 1 {
		return "rules/range/length_zero", errBind("length"), true
	} else if has && n > 200 {
		return "rules/range/length_above_max", errBind("length"), true
	}
	valid := map[string]func(int64) bool{
		"status":      func(n int64) bool { return n >= 1 && n <= 15 && n != 12 },
		"launch_mode": func(n int64) bool { return n >= 1 && n <= 3 },
		"type":        func(n int64) bool { return n >= 0 && n <= 2 },
	}
	for _, p := range []string{"status", "launch_mode", "type"} {
		if n, has := nums[p]; has && !valid[p](n) {
			return "rules/invalid/" + p, errInvalid(p), true
		}
	}
	return "", wantErr{}, false
}
