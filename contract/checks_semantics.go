package contract

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// semanticChecks are the checks that learn from the target's data, in the
// order they run: the listed-task checks come last, as they look at every
// list the others received.
func semanticChecks() []checkDef {
	var defs []checkDef
	defs = append(defs, timeChecks()...)
	defs = append(defs, pageChecks()...)
	defs = append(defs, windowChecks()...)
	defs = append(defs, filterChecks()...)
	defs = append(defs, jobInstanceIDChecks()...)
	defs = append(defs, pagingChecks()...)
	defs = append(defs, listedChecks()...)
	defs = append(defs, orderChecks()...)
	return defs
}

// timeChecks come first: a target whose times are not Unix milliseconds
// breaks every client, and the window cannot follow its data.
func timeChecks() []checkDef {
	return []checkDef{
		{"semantics/times/plausible", "times are plausible Unix milliseconds: after 2000, at most a day after the target's clock; end ≥ start; total_time = end - start", checkTimesPlausible},
	}
}

// pageChecks are the checks of the base query and page size.
func pageChecks() []checkDef {
	return []checkDef{
		{"semantics/base_query", "the 30-day query with length=200 answers 200 with a job_instance_list", checkBaseQuery},
		{"semantics/default_length", "without length, a page holds 10 tasks: the first 10", checkDefaultLength},
		{"semantics/length_honoured", "length is honoured from 1 up to 200, not cut short", checkLengthHonoured},
	}
}

// orderChecks are the checks of ordering. They run last, over every list
// the other checks received: a page past the first may be ordered
// differently.
func orderChecks() []checkDef {
	return []checkDef{
		{"semantics/order/create_time_desc", "tasks come newest first (create_time descending)", checkOrderCreateTimeDesc},
		{"semantics/order/ties_by_id_asc", "tasks with the same create_time come in ascending job_instance_id order", checkOrderTiesByIDAsc},
	}
}

// windowChecks are the checks of the time window.
func windowChecks() []checkDef {
	return []checkDef{
		{"semantics/window/inclusive_bounds", "both bounds are inclusive: a task's own create_time as start and end finds it", checkWindowInclusiveBounds},
		{"semantics/window/start_after_end_empty", "create_time_start > create_time_end is no error: an empty list", checkWindowStartAfterEndEmpty},
	}
}

// filterChecks are the checks of the filters.
func filterChecks() []checkDef {
	return []checkDef{
		{"semantics/filter/operator", "operator is an exact match: only that operator's tasks, all of them; a part of the name finds nothing", checkFilterOperator},
		{"semantics/filter/name", "name matches a substring: only tasks whose name contains it, all of them", checkFilterName},
		{"semantics/filter/operator_case_insensitive", "operator matching ignores case: the operator's name with its case swapped finds the same tasks", checkFilterOperatorCaseInsensitive},
		{"semantics/filter/name_case_insensitive", "name matching ignores case", checkFilterNameCaseInsensitive},
		{"semantics/filter/name_wildcards", "name is LIKE '%name%' unescaped: _ matches any one character, % any run", checkFilterNameWildcards},
		{"semantics/filter/blank_ignored", "a blank operator or name (spaces only) means no filter", checkFilterBlankIgnored},
		{"semantics/filter/nonpositive_ids_ignored", "job_instance_id and job_cron_id of 0 or below are ignored", checkFilterNonpositiveIDsIgnored},
		enumFilter("status", func(it item) int64 { return it.Status },
			[]int64{1, 13, 9, 11, 14, 15, 5, 6, 8, 10, 7, 2, 4, 3}, finished),
		enumFilter("type", func(it item) int64 { return it.Type }, []int64{2, 1, 0}, nil),
		enumFilter("launch_mode", func(it item) int64 { return it.LaunchMode }, []int64{3, 2, 1}, nil),
		{"semantics/filter/job_cron_id", "job_cron_id=0 is ignored; an unknown cron job finds nothing", checkFilterJobCronID},
		{"semantics/filter/ip", "ip returns tasks of the window involving a known host; the cloud-area form 0:IP matches nothing", checkFilterIP},
		{"semantics/filter/ip_unknown_host", "ip of a host no task involves, or an IPv6 address, finds nothing and is no error", checkFilterIPUnknownHost},
	}
}

// jobInstanceIDChecks are the checks of job_instance_id.
func jobInstanceIDChecks() []checkDef {
	return []checkDef{
		{"semantics/job_instance_id/exact", "job_instance_id finds exactly that task", checkJobInstanceIDExact},
		{"semantics/job_instance_id/ignores_other_filters", "job_instance_id drops every other filter and the window, but offset still applies", checkJobInstanceIDIgnoresOtherFilters},
		{"semantics/job_instance_id/keeps_scope", "job_instance_id does not find a task of another scope (--other-scope, or --system with --forbidden-scope)", checkJobInstanceIDKeepsScope},
		{"semantics/job_instance_id/ip_still_applies", "with job_instance_id, ip still applies", checkJobInstanceIDIPStillApplies},
	}
}

// pagingChecks are the checks of paging.
func pagingChecks() []checkDef {
	return []checkDef{
		{"semantics/paging/concat", "page(0,20) = page(0,10) + page(10,10) = the first 20 tasks", checkPagingConcat},
		{"semantics/paging/walk", "paging through a window has no gaps and no duplicates", checkPagingWalk},
		{"semantics/paging/ties", "pages whose boundaries cut a group of tasks sharing a create_time join up to the one-page answer, no duplicate, no gap (the real server orders ties only within a page)", checkPagingTies},
	}
}

// listedChecks are the checks of every listed task.
func listedChecks() []checkDef {
	return []checkDef{
		{"semantics/stable/finished_identical", "a finished task reads the same twice", checkStableFinishedIdentical},
		{"semantics/window/items_inside", "every task of every list lies inside the requested window (unless job_instance_id is given)", checkWindowItemsInside},
		{"semantics/items/scope", "every task is of the requested scope; bk_scope_id is a string; bk_biz_id equals it on biz scopes", checkItemsScope},
		{"semantics/items/quick_task_ids", "quick tasks (type 1, 2) have job_plan_id and job_template_id -1; plan runs (type 0) real ids", checkItemsQuickTaskIDs},
		{"semantics/items/time_fields", "start_time, end_time and total_time follow the status; create ≤ start ≤ end; total = end - start", checkItemsTimeFields},
	}
}

func checkTimesPlausible(t *checker) {
	s := t.s
	s.mu.Lock()
	newest, first, now := s.newest, s.firstEx, s.now
	s.mu.Unlock()
	lists := []struct {
		items []item
		ex    *exchange
	}{{newest, first}}
	if smp := t.base(); smp.err == "" {
		lists = append(lists, struct {
			items []item
			ex    *exchange
		}{smp.top, smp.topEx})
	}
	seen := 0
	for _, l := range lists {
		for _, it := range l.items {
			seen++
			if msg := implausibleTask(it, now); msg != "" {
				t.fatalf(l.ex, "task %d: %s", it.ID, msg)
			}
		}
	}
	if seen == 0 {
		t.skipDataf("scope %s has no task at all, in the window or before", t.s.cfg.Scope)
	}
}

// implausibleTask says what is implausible about a task's times, the
// target's clock being now; "" if nothing.
func implausibleTask(it item, now time.Time) string {
	if msg := implausible(it.CreateTime, now); msg != "" {
		return fmt.Sprintf("create_time %d: %s", it.CreateTime, msg)
	}
	start, hasStart := it.int("start_time")
	end, hasEnd := it.int("end_time")
	total, hasTotal := it.int("total_time")
	for _, f := range []struct {
		key string
		v   int64
		ok  bool
	}{{"start_time", start, hasStart}, {"end_time", end, hasEnd}} {
		if f.ok {
			if msg := implausible(f.v, now); msg != "" {
				return fmt.Sprintf("%s %d: %s", f.key, f.v, msg)
			}
		}
	}
	switch {
	case hasStart && hasEnd && end < start:
		return fmt.Sprintf("end_time %d is before start_time %d", end, start)
	case hasStart && hasEnd && hasTotal && total != end-start:
		return fmt.Sprintf("total_time %d, but end_time - start_time = %d: total_time is the duration in ms", total, end-start)
	case hasTotal && total < 0:
		return fmt.Sprintf("total_time %d is negative", total)
	case hasStart && !hasEnd && hasTotal && total > now.UnixMilli()-start+24*time.Hour.Milliseconds():
		return fmt.Sprintf("total_time %d of a running task is longer than it has run (%d ms since start_time)", total, now.UnixMilli()-start)
	}
	return ""
}

func checkBaseQuery(t *checker) {
	smp := t.base()
	if smp.err != "" {
		t.fatalf(smp.ex, "%s", smp.err)
	}
}

func checkDefaultLength(t *checker) {
	smp := t.needTasks(11)
	items := t.list("without length", request{query: t.baseParams()})
	if len(items) != 10 {
		t.fatalf(nil, "without length the page holds %d tasks, want 10", len(items))
	}
	if want := ids(smp.top[:10]); !equalIDs(ids(items), want) {
		t.errorf(nil, "without length the page is %s, want the first 10 tasks %s", fmtIDs(ids(items)), fmtIDs(want))
	}
}

func checkLengthHonoured(t *checker) {
	smp := t.needTasks(1)
	one := t.list("length=1", request{query: pageParams(t.baseParams(), 0, 1)})
	if len(one) != 1 || one[0].ID != smp.top[0].ID {
		t.errorf(nil, "length=1 returned %s, want the newest task [%d]", fmtIDs(ids(one)), smp.top[0].ID)
	}
	if n := len(smp.top); n < 200 {
		rest := t.list(fmt.Sprintf("offset=%d", n), request{query: pageParams(t.baseParams(), n, 10)})
		if len(rest) > 0 {
			t.errorf(nil, "length=200 returned %d tasks, yet offset=%d still has %d more: the page was cut short", n, n, len(rest))
		}
	}
}

func checkOrderCreateTimeDesc(t *checker) {
	t.needTasks(2)
	for _, ex := range t.s.client.exchanges() {
		if items, err := parseList(ex); err == nil {
			if msg := orderProblem(items); msg != "" {
				t.fatalf(ex, "%s", msg)
			}
		}
	}
}

func checkOrderTiesByIDAsc(t *checker) {
	t.needTasks(2)
	ties := 0
	for _, ex := range t.s.client.exchanges() {
		if items, err := parseList(ex); err == nil {
			msg, n := tieProblem(items)
			if msg != "" {
				t.fatalf(ex, "%s", msg)
			}
			ties += n
		}
	}
	if ties == 0 {
		t.skipDataf("no two tasks of the lists received share a create_time")
	}
}

func checkWindowInclusiveBounds(t *checker) {
	smp := t.needTasks(1)
	src := smp.all
	if len(src) == 0 {
		src = smp.top
	}
	picks := []item{src[0]}
	if m := src[len(src)/2]; m.CreateTime != picks[0].CreateTime {
		picks = append(picks, m)
	}
	for _, x := range picks {
		label := fmt.Sprintf("create_time_start=create_time_end=%d", x.CreateTime)
		ex := t.do(request{query: scopeParams(t.s.cfg.Scope, x.CreateTime, x.CreateTime).with("length", "200")})
		items := t.expectList(ex, label)
		got := idSet(items)
		if _, ok := got[x.ID]; !ok {
			t.fatalf(ex, "%s does not find task %d created at that instant: a bound is exclusive", label, x.ID)
		}
		for _, it := range items {
			if it.CreateTime != x.CreateTime {
				t.fatalf(ex, "%s returned task %d created at %d", label, it.ID, it.CreateTime)
			}
		}
		for _, a := range src {
			if _, ok := got[a.ID]; a.CreateTime == x.CreateTime && !ok {
				t.fatalf(ex, "%s misses task %d, also created at that instant", label, a.ID)
			}
		}
	}
}

func checkWindowStartAfterEndEmpty(t *checker) {
	t.needTasks(1)
	from, to := t.s.window()
	items := t.list("create_time_start > create_time_end", request{query: scopeParams(t.s.cfg.Scope, to, from)})
	if len(items) > 0 {
		t.errorf(nil, "create_time_start=%d > create_time_end=%d returned %d tasks, want none", to, from, len(items))
	}
}

func checkFilterOperator(t *checker) {
	smp := t.needSample()
	keys, _ := countBy(smp.all, func(it item) string { return it.Operator })
	v := keys[len(keys)-1] // the busiest operator
	if strings.TrimSpace(v) == "" {
		t.skipDataf("the tasks of the sample window have no operator")
	}
	show := func(it item) string { return fmt.Sprintf("operator %q", it.Operator) }
	t.checkFilter(smp, "operator="+v, t.sampleParams(smp).with("operator", v),
		func(it item) bool { return operatorMatches(v, it) }, show,
		func(a item) bool { return operatorMatches(v, a) })
	r := []rune(v)
	if p := string(r[:len(r)-1]); strings.TrimSpace(p) != "" {
		t.checkFilter(smp, "operator="+p+" (a prefix of "+v+")", t.sampleParams(smp).with("operator", p),
			func(it item) bool { return operatorMatches(p, it) }, show,
			func(a item) bool { return operatorMatches(p, a) })
	}
}

func checkFilterName(t *checker) {
	smp := t.needSample()
	keys, _ := countBy(smp.all, func(it item) string { return it.Name })
	sub := ""
	for _, name := range keys {
		if sub = middle(name); sub != "" {
			break
		}
	}
	if sub == "" {
		t.skipDataf("no task name of the sample window has a usable substring")
	}
	like := likeMatcher(sub)
	t.checkFilter(smp, "name="+sub, t.sampleParams(smp).with("name", sub),
		func(it item) bool { return like(it.Name) },
		func(it item) string { return fmt.Sprintf("name %q", it.Name) },
		func(a item) bool { return like(a.Name) })
}

func checkFilterNameCaseInsensitive(t *checker) {
	smp := t.needSample()
	word := ""
	for _, it := range smp.all {
		if word = asciiWord(it.Name); word != "" {
			break
		}
	}
	if word == "" {
		t.skipDataf("no task name of the sample window has a word of 3 or more ASCII letters")
	}
	q := swapCase(word)
	like := likeMatcher(q)
	t.checkFilter(smp, "name="+q, t.sampleParams(smp).with("name", q),
		func(it item) bool { return like(it.Name) },
		func(it item) string { return fmt.Sprintf("name %q", it.Name) },
		func(a item) bool { return like(a.Name) })
}

func checkFilterJobCronID(t *checker) {
	smp := t.needSample()
	t.checkFilter(smp, "job_cron_id=0 (ignored)", t.sampleParams(smp).with("job_cron_id", "0"),
		func(item) bool { return true }, nil, func(item) bool { return true })
	label := fmt.Sprintf("job_cron_id=%d (no such cron job)", unknownID)
	items := t.list(label, request{query: t.sampleParams(smp).withInt("job_cron_id", unknownID)})
	if len(items) > 0 {
		t.errorf(nil, "%s returned %d tasks, want none: is job_cron_id ignored?", label, len(items))
	}
}

func checkFilterIP(t *checker) {
	hosts := t.s.cfg.Hosts
	if len(hosts) == 0 {
		t.skipConfigf("no --ip given: the API does not tell which hosts a task involves")
	}
	smp := t.needSample()
	for _, h := range hosts[:min(3, len(hosts))] {
		items := t.checkFilter(smp, "ip="+h, t.sampleParams(smp).with("ip", h),
			func(item) bool { return true }, nil, nil)
		if len(items) == 0 {
			continue
		}
		pre := t.list("ip=0:"+h, request{query: t.sampleParams(smp).with("ip", "0:"+h)})
		if len(pre) > 0 {
			t.errorf(nil, "ip=0:%s (with a cloud-area prefix) returned %d tasks, want none", h, len(pre))
		}
		return
	}
	t.skipDataf("no task of the sample window involves the given hosts %s", strings.Join(hosts, ", "))
}

func checkFilterIPUnknownHost(t *checker) {
	t.needTasks(1)
	for _, h := range []string{unknownHost, unknownHostV6} {
		items := t.list("ip="+h, request{query: t.baseParams().with("ip", h)})
		if len(items) > 0 {
			t.errorf(nil, "ip=%s (a documentation address) returned %d tasks, want none: is ip ignored?", h, len(items))
		}
	}
}

func checkJobInstanceIDExact(t *checker) {
	x := t.needTasks(1).pick()
	label := fmt.Sprintf("job_instance_id=%d", x.ID)
	items := t.list(label, request{query: t.baseParams().withInt("job_instance_id", x.ID).with("length", "200")})
	if len(items) != 1 || items[0].ID != x.ID {
		t.fatalf(nil, "%s returned %s, want exactly [%d]", label, fmtIDs(ids(items)), x.ID)
	}
	for _, k := range []string{"bk_scope_type", "bk_scope_id", "name", "operator", "create_time", "type", "launch_mode", "job_plan_id", "job_template_id"} {
		if !reflect.DeepEqual(items[0].raw[k], x.raw[k]) {
			t.errorf(nil, "%s: %s is %v, but the list says %v", label, k, items[0].raw[k], x.raw[k])
		}
	}
}

func checkJobInstanceIDIgnoresOtherFilters(t *checker) {
	x := t.needTasks(1).pick()
	q := scopeParams(t.s.cfg.Scope, 0, 1).
		withInt("job_instance_id", x.ID).
		with("operator", x.Operator+"-nobody").
		with("name", "no-such-task-qzx").
		withInt("launch_mode", x.LaunchMode%3+1).
		withInt("type", (x.Type+1)%3).
		withInt("status", otherStatus(x.Status)).
		withInt("job_cron_id", unknownID)
	label := fmt.Sprintf("job_instance_id=%d with a window and filters it does not match", x.ID)
	items := t.list(label, request{query: q})
	if len(items) != 1 || items[0].ID != x.ID {
		t.errorf(nil, "%s returned %s, want [%d]: the other filters must be dropped", label, fmtIDs(ids(items)), x.ID)
	}
	label = fmt.Sprintf("job_instance_id=%d&offset=1", x.ID)
	items = t.list(label, request{query: t.baseParams().withInt("job_instance_id", x.ID).with("offset", "1")})
	if len(items) != 0 {
		t.errorf(nil, "%s returned %s, want none: offset still applies", label, fmtIDs(ids(items)))
	}
}

func checkJobInstanceIDKeepsScope(t *checker) {
	cfg := t.s.cfg
	if cfg.OtherScope.Type == "" && !(cfg.System && cfg.ForbiddenScope.Type != "") {
		t.skipConfigf("needs a second scope: --other-scope, or --system with --forbidden-scope")
	}
	from, to := t.s.window()
	if cfg.OtherScope.Type != "" {
		// A task of the scope under test, asked for in the other scope.
		x := t.needTasks(1).pick()
		label := fmt.Sprintf("job_instance_id=%d in scope %s", x.ID, cfg.OtherScope)
		for _, it := range t.list(label, request{query: scopeParams(cfg.OtherScope, from, to).withInt("job_instance_id", x.ID)}) {
			if it.ID == x.ID {
				t.fatalf(nil, "%s returned task %d, which belongs to %s", label, x.ID, cfg.Scope)
			}
		}
		return
	}
	// A task of the forbidden scope, read through the system API, asked for
	// in the scope under test through the user API: it must not leak.
	src := fmt.Sprintf("the system API, scope %s", cfg.ForbiddenScope)
	theirs := t.list(src, request{system: true, query: pageParams(scopeParams(cfg.ForbiddenScope, from, to), 0, 1)})
	if len(theirs) == 0 {
		t.skipDataf("%s has no task in the window to ask for in %s", src, cfg.Scope)
	}
	x := theirs[0]
	label := fmt.Sprintf("job_instance_id=%d (a task of %s) in scope %s", x.ID, cfg.ForbiddenScope, cfg.Scope)
	for _, it := range t.list(label, request{query: t.baseParams().withInt("job_instance_id", x.ID)}) {
		if it.ID == x.ID {
			t.fatalf(nil, "%s returned task %d, which belongs to %s: the user API leaks a scope the user may not read", label, x.ID, cfg.ForbiddenScope)
		}
	}
}

func checkJobInstanceIDIPStillApplies(t *checker) {
	x := t.needTasks(1).pick()
	label := fmt.Sprintf("job_instance_id=%d&ip=%s", x.ID, unknownHost)
	items := t.list(label, request{query: t.baseParams().withInt("job_instance_id", x.ID).with("ip", unknownHost)})
	if len(items) != 0 {
		t.errorf(nil, "%s returned %s, want none: ip must still apply", label, fmtIDs(ids(items)))
	}
}

func checkPagingConcat(t *checker) {
	smp := t.needTasks(11)
	b := t.baseParams()
	a := t.list("offset=0&length=20", request{query: pageParams(b, 0, 20)})
	p1 := t.list("offset=0&length=10", request{query: pageParams(b, 0, 10)})
	p2 := t.list("offset=10&length=10", request{query: pageParams(b, 10, 10)})
	joined := append(ids(p1), ids(p2)...)
	if !equalIDs(ids(a), joined) {
		t.fatalf(nil, "offset=0&length=20 returned %s, but offset=0&length=10 then offset=10&length=10 returned %s", fmtIDs(ids(a)), fmtIDs(joined))
	}
	if want := ids(smp.top[:min(20, len(smp.top))]); !equalIDs(ids(a), want) {
		t.errorf(nil, "offset=0&length=20 returned %s, but the first tasks of length=200 are %s", fmtIDs(ids(a)), fmtIDs(want))
	}
}

func checkPagingWalk(t *checker) {
	smp := t.needSample()
	if len(smp.all) < 2 {
		t.skipDataf("needs at least 2 tasks in the sample window")
	}
	size := (len(smp.all) + 3) / 4
	var got []item
	for off := 0; off <= len(smp.all); off += size {
		page := t.list(fmt.Sprintf("offset=%d&length=%d", off, size), request{query: pageParams(scopeParams(t.s.cfg.Scope, smp.wFrom, smp.wTo), off, size)})
		if len(page) > size {
			t.fatalf(nil, "offset=%d&length=%d returned %d tasks", off, size, len(page))
		}
		got = append(got, page...)
		if len(page) < size {
			break
		}
	}
	seen := map[int64]bool{}
	for _, it := range got {
		if seen[it.ID] {
			t.fatalf(nil, "task %d appears on two pages of length %d", it.ID, size)
		}
		seen[it.ID] = true
	}
	want := ids(smp.all)
	for i, id := range want {
		if i >= len(got) || got[i].ID != id {
			t.fatalf(nil, "paging by %d: task #%d should be %d, got %s; pages %s, one page %s", size, i, id, idAt(got, i), fmtIDs(ids(got)), fmtIDs(want))
		}
	}
	if len(got) > len(want) {
		t.fatalf(nil, "paging by %d gives %d tasks, one page of length=200 gives %d", size, len(got), len(want))
	}
}

func checkStableFinishedIdentical(t *checker) {
	smp := t.needSample()
	var done []item
	for _, it := range smp.all {
		if finished(it.Status) {
			done = append(done, it)
		}
	}
	if len(done) == 0 {
		t.skipDataf("no finished task in the sample window")
	}
	again := idSet(t.list("second read", request{query: pageParams(scopeParams(t.s.cfg.Scope, smp.wFrom, smp.wTo), 0, 200), fresh: true}))
	for _, a := range done {
		b, ok := again[a.ID]
		if !ok {
			t.fatalf(nil, "finished task %d is gone on the second read", a.ID)
		}
		if k := firstDiff(a.raw, b.raw); k != "" {
			t.fatalf(nil, "finished task %d changed between two reads: %s was %v, then %v", a.ID, k, a.raw[k], b.raw[k])
		}
	}
}

func checkWindowItemsInside(t *checker) {
	seen := t.eachListed(func(ex *exchange, q params, it item) string { return outsideWindow(q, it) })
	if seen == 0 {
		t.skipDataf("no task was listed")
	}
}

func checkItemsScope(t *checker) {
	seen := t.eachListed(func(ex *exchange, q params, it item) string { return scopeProblem(q, it) })
	if seen == 0 {
		t.skipDataf("no task was listed")
	}
}

func checkItemsQuickTaskIDs(t *checker) {
	seen := t.eachListed(func(ex *exchange, q params, it item) string { return quickIDProblem(it) })
	if seen == 0 {
		t.skipDataf("no task was listed")
	}
}

func checkItemsTimeFields(t *checker) {
	seen := t.eachListed(func(ex *exchange, q params, it item) string { return timeFields(it) })
	if seen == 0 {
		t.skipDataf("no task was listed")
	}
}

// enumFilter is the check of an integer filter: status, type or launch_mode.
// absent lists values to try, in order, when every sampled task has the same
// value; stable says which values a task keeps once it has them (nil: all).
func enumFilter(param string, get func(item) int64, absent []int64, stable func(int64) bool) checkDef {
	if stable == nil {
		stable = func(int64) bool { return true }
	}
	return checkDef{"semantics/filter/" + param, param + " returns only tasks with that " + param + ", all of them", func(t *checker) {
		smp := t.needSample()
		keys, counts := countBy(smp.all, get)
		// The rarest value whose tasks keep it: the most telling query.
		v := keys[0]
		for _, k := range keys {
			if stable(k) {
				v = k
				break
			}
		}
		show := func(it item) string { return fmt.Sprintf("%s %d", param, get(it)) }
		match := filterMatch(param, fmt.Sprint(v))
		t.checkFilter(smp, fmt.Sprintf("%s=%d", param, v), t.sampleParams(smp).withInt(param, v),
			match, show, func(a item) bool { return match(a) && stable(v) })
		if counts[v] < len(smp.all) {
			return
		}
		// Every task has v: make sure the filter is applied at all.
		for _, w := range absent {
			if counts[w] == 0 {
				t.checkFilter(smp, fmt.Sprintf("%s=%d", param, w), t.sampleParams(smp).withInt(param, w),
					filterMatch(param, fmt.Sprint(w)), show, nil)
				return
			}
		}
	}}
}

// eachListed calls f for every task of every job_instance_list received so
// far, failing the check at the first message f returns. It returns how many
// tasks it saw.
func (t *checker) eachListed(f func(ex *exchange, q params, it item) string) int {
	n := 0
	for _, ex := range t.s.client.exchanges() {
		items, err := parseList(ex)
		if err != nil {
			continue
		}
		for _, it := range items {
			n++
			if msg := f(ex, ex.req.query, it); msg != "" {
				t.fatalf(ex, "%s", msg)
			}
		}
	}
	return n
}

func between(v int64, start, end string) bool {
	var s, e int64
	if _, err := fmt.Sscan(start, &s); err != nil {
		return true
	}
	if _, err := fmt.Sscan(end, &e); err != nil {
		return true
	}
	return s <= v && v <= e
}

// timeFields checks the time fields of a task against its status.
func timeFields(it item) string {
	start, hasStart := it.int("start_time")
	end, hasEnd := it.int("end_time")
	total, hasTotal := it.int("total_time")
	for _, k := range []string{"start_time", "end_time", "total_time"} {
		if it.has(k) {
			if _, ok := it.int(k); !ok {
				return fmt.Sprintf("task %d: %s is %v, want an integer", it.ID, k, it.raw[k])
			}
		}
	}
	st := it.Status
	want := func(cond bool, format string, args ...any) string {
		if cond {
			return ""
		}
		return fmt.Sprintf("task %d (status %d): ", it.ID, st) + fmt.Sprintf(format, args...)
	}
	var msg string
	switch {
	case st == 1:
		msg = want(!hasStart && !hasEnd && !hasTotal, "a task waiting to start has no start_time, end_time or total_time")
	case st == 2 || st == 7 || st == 10:
		msg = want(hasStart && hasTotal && !hasEnd, "a running task has start_time and a live total_time, no end_time")
	case st == 15:
		msg = want(hasStart && !hasEnd && !hasTotal, "a rolling-waiting task has start_time only")
	case st == 14 && !hasStart:
		// An abandoned task may never have started: no duration to give.
		msg = want(hasEnd, "a finished task has end_time")
	case finished(st):
		msg = want(hasEnd && hasTotal, "a finished task has end_time and total_time")
		if msg == "" && hasStart {
			msg = want(total == end-start, "total_time %d, but end_time - start_time = %d", total, end-start)
		}
		if msg == "" && !hasStart {
			msg = want(false, "a finished task has start_time")
		}
	}
	if msg != "" {
		return msg
	}
	switch {
	case hasStart && start < it.CreateTime:
		return fmt.Sprintf("task %d: start_time %d is before create_time %d", it.ID, start, it.CreateTime)
	case hasStart && hasEnd && end < start:
		return fmt.Sprintf("task %d: end_time %d is before start_time %d", it.ID, end, start)
	case hasTotal && total < 0:
		return fmt.Sprintf("task %d: total_time %d is negative", it.ID, total)
	}
	return ""
}

// middle returns a substring of name to search for: the name without its
// first and last character when it is long enough, without wildcards or
// surrounding blanks; "" if there is none.
func middle(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) >= 4 {
		r = r[1 : len(r)-1]
	}
	sub := strings.TrimSpace(string(r))
	if sub == "" || strings.ContainsAny(sub, "%_\\") {
		return ""
	}
	return sub
}

// asciiWord returns the first run of 3 or more ASCII letters in s.
func asciiWord(s string) string {
	start := -1
	for i := 0; i <= len(s); i++ {
		letter := i < len(s) && s[i] < unicode.MaxASCII && unicode.IsLetter(rune(s[i]))
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			if i-start >= 3 {
				return s[start:i]
			}
			start = -1
		}
	}
	return ""
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

// otherStatus returns a valid status other than s.
func otherStatus(s int64) int64 {
	if s == 3 {
		return 4
	}
	return 3
}

func idAt(items []item, i int) string {
	if i < len(items) {
		return fmt.Sprint(items[i].ID)
	}
	return "nothing"
}

// firstDiff returns the first key whose value differs between a and b.
func firstDiff(a, b map[string]any) string {
	keys := sortedKeys(a)
	for _, k := range sortedKeys(b) {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if !reflect.DeepEqual(a[k], b[k]) {
			return k
		}
	}
	return ""
}

func checkFilterOperatorCaseInsensitive(t *checker) {
	smp := t.needSample()
	keys, _ := countBy(smp.all, func(it item) string { return it.Operator })
	v := ""
	for i := len(keys) - 1; i >= 0; i-- { // the busiest operator whose name has a letter
		if swapCase(keys[i]) != keys[i] {
			v = keys[i]
			break
		}
	}
	if v == "" {
		t.skipDataf("no operator of the sample window has a letter whose case can be swapped")
	}
	q := swapCase(v)
	t.checkFilter(smp, "operator="+q+" (for "+v+")", t.sampleParams(smp).with("operator", q),
		func(it item) bool { return operatorMatches(q, it) },
		func(it item) string { return fmt.Sprintf("operator %q", it.Operator) },
		func(a item) bool { return operatorMatches(q, a) })
}

func checkFilterNameWildcards(t *checker) {
	smp := t.needSample()
	keys, _ := countBy(smp.all, func(it item) string { return it.Name })
	var sub []rune
	for _, name := range keys {
		if m := []rune(middle(name)); len(m) >= 3 {
			sub = m
			break
		}
	}
	if sub == nil {
		t.skipDataf("no task name of the sample window has a usable substring of 3 or more characters")
	}
	one := append([]rune(nil), sub...)
	one[len(one)/2] = '_'
	patterns := []string{string(one)}
	if len(sub) >= 4 {
		patterns = append(patterns, string(sub[:1])+"%"+string(sub[len(sub)-1:]))
	}
	for _, p := range patterns {
		like := likeMatcher(p)
		t.checkFilter(smp, "name="+p, t.sampleParams(smp).with("name", p),
			func(it item) bool { return like(it.Name) },
			func(it item) string { return fmt.Sprintf("name %q, which is not LIKE '%%%s%%'", it.Name, p) },
			func(a item) bool { return like(a.Name) })
	}
}

func checkFilterBlankIgnored(t *checker) {
	smp := t.needSample()
	all := func(item) bool { return true }
	for _, p := range []string{"operator", "name"} {
		t.checkFilter(smp, p+"=\"  \" (blank)", t.sampleParams(smp).with(p, "  "), all, nil, all)
	}
}

func checkFilterNonpositiveIDsIgnored(t *checker) {
	smp := t.needSample()
	all := func(item) bool { return true }
	for _, q := range []struct{ param, value string }{
		{"job_instance_id", "0"}, {"job_instance_id", "-1"}, {"job_cron_id", "-1"},
	} {
		t.checkFilter(smp, q.param+"="+q.value+" (ignored)", t.sampleParams(smp).with(q.param, q.value), all, nil, all)
	}
}

// checkPagingTies puts page boundaries inside groups of tasks that share a
// create_time, in three shapes: right after the first task of a group, right
// before its last, and pages of one task across it. Every page must be the
// one-page answer's slice at its offset.
func checkPagingTies(t *checker) {
	smp := t.needTasks(2)
	list, q := smp.top, t.baseParams()
	if smp.complete {
		list, q = smp.all, scopeParams(t.s.cfg.Scope, smp.wFrom, smp.wTo)
	}
	groups := tieGroups(list)
	if len(groups) == 0 {
		t.skipDataf("no two tasks of the sample share a create_time: no tie to put a page boundary in")
	}
	// The first group, and the largest if it is another.
	picks := groups[:1]
	big := groups[0]
	for _, g := range groups {
		if g[1]-g[0] > big[1]-big[0] {
			big = g
		}
	}
	if big != groups[0] {
		picks = append(picks, big)
	}
	type page struct{ offset, length int }
	for _, g := range picks {
		first, last := g[0], g[1] // inclusive positions in list
		m := last - first
		pages := []page{{first + 1 - m, m}, {first + 1, m}, {last - m, m}, {last, m}}
		for off := first; off <= min(last, first+3); off++ {
			pages = append(pages, page{off, 1})
		}
		seen := map[page]bool{}
		for _, p := range pages {
			if p.offset < 0 || seen[p] {
				continue
			}
			seen[p] = true
			label := fmt.Sprintf("offset=%d&length=%d", p.offset, p.length)
			got := t.list(label, request{query: pageParams(q, p.offset, p.length)})
			want := list[min(p.offset, len(list)):min(p.offset+p.length, len(list))]
			if !equalIDs(ids(got), ids(want)) {
				t.fatalf(nil, "%s returned %s, but the one-page answer has %s there: tasks %s share create_time %d, and a page boundary inside them repeats a task and loses another. "+
					"The real server orders ties only within a page; clients paging such a list miss tasks",
					label, fmtIDs(ids(got)), fmtIDs(ids(want)), fmtIDs(ids(list[first:last+1])), list[first].CreateTime)
			}
		}
	}
}

// tieGroups returns the [first, last] positions of each run of two or more
// tasks with the same create_time.
func tieGroups(list []item) [][2]int {
	var out [][2]int
	for i := 0; i < len(list); {
		j := i
		for j+1 < len(list) && list[j+1].CreateTime == list[i].CreateTime {
			j++
		}
		if j > i {
			out = append(out, [2]int{i, j})
		}
		i = j + 1
	}
	return out
}
