package contract

import (
	"fmt"
	"sort"
	"time"
)

// sample is what the suite learns from the target's own data before it can
// check semantics: the newest tasks of the window, and a sub-window ending
// with the window whose every task it holds (so that filtered results can be
// compared with the unfiltered one).
type sample struct {
	err   string    // why the base query failed; dependents are skipped
	ex    *exchange // the exchange that showed the failure
	top   []item    // offset 0, length 200 over the window, newest first
	topEx *exchange
	// [wFrom, wTo] is the sample window; all holds its tasks, complete says
	// whether that is every one of them (fewer than 200).
	wFrom, wTo int64
	all        []item
	allEx      *exchange
	complete   bool
}

// unknownID is an id no cron job or task has.
const unknownID = 9007199254740991

// unknownHost is an address from TEST-NET-1 (RFC 5737): no task involves it.
const unknownHost = "192.0.2.1"

// unknownHostV6 is from the IPv6 documentation prefix (RFC 3849): the API
// matches plain IPv4 only, so an IPv6 address finds nothing, and is no error.
const unknownHostV6 = "2001:db8::1"

// base returns the sample, learning it on first use.
func (t *checker) base() *sample {
	s := t.s
	s.sampleMu.Lock()
	defer s.sampleMu.Unlock()
	if s.sample != nil {
		return s.sample
	}
	smp := &sample{err: "the base query did not complete"}
	s.sample = smp
	t.learn(smp)
	return smp
}

func (t *checker) learn(smp *sample) {
	sc := t.s.cfg.Scope
	from, to := t.s.window()
	top, ex := t.fetch(pageParams(scopeParams(sc, from, to), 0, 200), smp)
	if top == nil {
		return
	}
	smp.top, smp.topEx = top, ex
	smp.wFrom, smp.wTo = from, to
	smp.all, smp.allEx = top, ex
	for i := 0; i < 3 && len(smp.all) >= 200; i++ {
		cut := smp.all[len(smp.all)/2].CreateTime
		if cut <= smp.wFrom {
			break // cannot narrow: too many tasks share a create_time
		}
		smp.wFrom = cut
		all, ex := t.fetch(pageParams(scopeParams(sc, smp.wFrom, smp.wTo), 0, 200), smp)
		if all == nil {
			return
		}
		smp.all, smp.allEx = all, ex
	}
	smp.complete = len(smp.all) < 200
	smp.err = ""
}

// fetch gets one list for learn; nil means it failed and smp says why.
func (t *checker) fetch(q params, smp *sample) ([]item, *exchange) {
	ex := t.do(request{query: q})
	items, err := parseList(ex)
	if err != nil {
		from, _ := q.get("create_time_start")
		to, _ := q.get("create_time_end")
		smp.err = fmt.Sprintf("the window %s..%s with length=200: %v", from, to, err)
		smp.ex = ex
		return nil, ex
	}
	if items == nil {
		items = []item{}
	}
	return items, ex
}

// needTasks returns the sample, or skips the check when the base query failed
// or the window holds fewer than n tasks.
func (t *checker) needTasks(n int) *sample {
	smp := t.base()
	if smp.err != "" {
		t.skipDataf("the base query failed (see semantics/base_query)")
	}
	if len(smp.top) < n {
		t.skipDataf("needs at least %d tasks in the window, %s has %d %s", n, t.s.cfg.Scope, len(smp.top), t.windowText(smp.wFrom, smp.wTo))
	}
	return smp
}

// needSample returns a sample whose window is complete and not empty.
func (t *checker) needSample() *sample {
	smp := t.needTasks(1)
	if !smp.complete {
		t.skipDataf("could not find a window with fewer than 200 tasks to compare filtered results with")
	}
	return smp
}

func (t *checker) windowText(from, to int64) string {
	return fmt.Sprintf("between %s and %s", fmtMillis(from), fmtMillis(to))
}

func fmtMillis(ms int64) string {
	return fmt.Sprintf("%d (%s)", ms, time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"))
}

// sampleParams are the required parameters for the sample window, length 200.
func (t *checker) sampleParams(smp *sample) params {
	return scopeParams(t.s.cfg.Scope, smp.wFrom, smp.wTo).with("length", "200")
}

// checkFilter sends one filtered query over the sample window and checks its
// result against the sample: every task matches, every task is in the
// unfiltered result, and every sample task in mustInclude is there.
func (t *checker) checkFilter(smp *sample, label string, q params, match func(item) bool, show func(item) string, mustInclude func(item) bool) []item {
	ex := t.do(request{query: q})
	items := t.expectList(ex, label)
	in := idSet(smp.all)
	for _, it := range items {
		if _, ok := in[it.ID]; !ok {
			t.fatalf(ex, "%s returned task %d, which the unfiltered query of the same window does not return", label, it.ID)
		}
		if !match(it) {
			t.fatalf(ex, "%s returned task %d with %s", label, it.ID, show(it))
		}
	}
	if mustInclude != nil {
		got := idSet(items)
		var missing []int64
		for _, a := range smp.all {
			if _, ok := got[a.ID]; mustInclude(a) && !ok {
				missing = append(missing, a.ID)
			}
		}
		if len(missing) > 0 {
			t.fatalf(ex, "%s misses %d matching tasks of the window: %s", label, len(missing), fmtIDs(missing))
		}
	}
	return items
}

// countBy counts the tasks of items by a key, returning keys by ascending
// count, then ascending key.
func countBy[K int64 | string](items []item, key func(item) K) ([]K, map[K]int) {
	counts := map[K]int{}
	for _, it := range items {
		counts[key(it)]++
	}
	keys := make([]K, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] < counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys, counts
}

// pick returns a task of the sample that the job_instance_id checks use.
func (smp *sample) pick() item {
	if smp.complete && len(smp.all) > 0 {
		return smp.all[len(smp.all)/2]
	}
	return smp.top[len(smp.top)/2]
}
