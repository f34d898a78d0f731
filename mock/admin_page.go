package mock

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// What the admin page needs beyond the journal and the scenario switches:
// which activations and rules are hidden by others, one entry as HAR, and
// the history as a histogram for the data browser's chart.

// slotSet is a set of slots, one bit per slot.
type slotSet uint8

const allSlots slotSet = 1<<numSlots - 1

// claims is what scs would take in an empty plan: the slots of its
// scenarios, every slot if it holds none (which claims the rest).
func claims(scs []scenario) slotSet {
	var s slotSet
	for _, sc := range scs {
		if sc.def.stage == stageControl {
			return allSlots
		}
		s |= 1 << sc.def.slot
	}
	return s
}

// audience is who a source of scenarios applies to: a scope, a user and
// query parameters; zero values match everything.
type audience struct {
	scope  bkjob.Scope
	user   string
	params [][2]string
}

// covers reports whether m matches every request o matches.
func (m audience) covers(o audience) bool {
	if m.scope != (bkjob.Scope{}) && m.scope != o.scope || m.user != "" && m.user != o.user {
		return false
	}
	for _, p := range m.params {
		if !slices.Contains(o.params, p) {
			return false
		}
	}
	return true
}

// source is one activation or rule, in precedence order, for hiddenBy.
type source struct {
	name   string // admin:ID or fixtures:LINE
	match  audience
	claims slotSet
}

// hiddenBy returns, for each source of srcs (in precedence order: the
// winner first), the sources before it that take every slot it would fill
// on every request it matches, so that it never acts while they last; nil
// for a source that can act.
func hiddenBy(srcs []source) [][]string {
	out := make([][]string, len(srcs))
	for i, s := range srcs {
		var taken slotSet
		var by []string
		for _, w := range srcs[:i] {
			if w.claims&s.claims&^taken != 0 && w.match.covers(s.match) {
				taken |= w.claims & s.claims
				by = append(by, w.name)
			}
		}
		if taken == s.claims {
			out[i] = by
		}
	}
	return out
}

// scenarioViews lists the live activations (newest first) and the fixtures
// rules, each marked with what hides it: the activations and rules that win
// over it for every request it matches.
func (srv *Server) scenarioViews() ([]activationView, []ruleView) {
	live := srv.store.live()
	g := srv.gen.Load()
	var srcs []source
	for _, a := range live {
		srcs = append(srcs, source{a.source, audience{scope: a.scope, user: a.user}, claims(a.scenarios)})
	}
	for _, r := range g.rules {
		srcs = append(srcs, source{r.source, audience{r.scope, r.user, r.params}, claims(r.scenarios)})
	}
	hidden := hiddenBy(srcs)
	acts := make([]activationView, len(live))
	for i, a := range live {
		acts[i] = a.view()
		acts[i].HiddenBy = hidden[i]
	}
	rules := srv.ruleViews()
	for i := range rules {
		rules[i].HiddenBy = hidden[len(live)+i]
	}
	return acts, rules
}

// handleRequestHAROne answers GET /__mock/requests/{id}/har: one journal
// entry as a HAR 1.2 log, for attaching one exchange to a bug report.
func (srv *Server) handleRequestHAROne() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := srv.entry(w, r); e != nil {
			w.Header().Set("Content-Disposition", `attachment; filename="bkjob-mock-`+strconv.FormatUint(e.ID, 10)+`.har"`)
			s := newJSONStream(w)
			s.raw(`{"log":{"version":"1.2","creator":{"name":"bkjob-mock","version":"1"},"entries":[`)
			s.value(harEntryOf(e))
			s.raw("]}}\n")
			s.close()
		}
	})
}

// histogramBucket is one hour of a scope's history: its tasks by status.
type histogramBucket struct {
	Start    int64          `json:"start"` // Unix ms, a whole hour
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

// bucketMS is the width of a histogram bucket: one hour.
const bucketMS = int64(time.Hour / time.Millisecond)

// handleDataHistogram answers GET /__mock/data/histogram: the tasks of a
// scope created in a window (bk_scope_type, bk_scope_id, create_time_start,
// create_time_end, as for GET /__mock/data and with its defaults), counted
// per hour and status as of now, for the data browser's chart. The window is
// clipped to the history's (the retention window before now), so there are
// at most 721 buckets and the work is that of listing the window once.
func (srv *Server) handleDataHistogram() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := srv.gen.Load()
		q := r.URL.Query()
		now := srv.now().UnixMilli()
		scope := bkjob.Scope{Type: q.Get("bk_scope_type"), ID: q.Get("bk_scope_id")}
		if scope == (bkjob.Scope{}) && len(g.fx.Scopes) > 0 {
			scope = bkjob.Scope{Type: g.fx.Scopes[0].Type, ID: g.fx.Scopes[0].ID}
		}
		known := []string{}
		found := false
		for i := range g.fx.Scopes {
			s := g.fx.Scopes[i].String()
			known = append(known, s)
			found = found || s == scope.String()
		}
		if !found {
			writeMockError(w, mockNotFound("no scope %q in the fixtures (they have %s)", scope.String(), strings.Join(known, ", ")))
			return
		}
		retention := history.DefaultRetention.Milliseconds()
		bound := func(name string, def int64) (int64, bool) {
			v := q.Get(name)
			if v == "" {
				return def, true
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				writeMockError(w, mockBadRequest("%s=%q: want Unix milliseconds", name, v))
				return 0, false
			}
			return n, true
		}
		from, ok := bound("create_time_start", now-retention)
		if !ok {
			return
		}
		to, ok := bound("create_time_end", now)
		if !ok {
			return
		}
		if from > to {
			writeMockError(w, mockBadRequest("create_time_start %d is after create_time_end %d", from, to))
			return
		}
		from, to = max(from, now-retention), min(to, now)
		buckets := []histogramBucket{}
		statuses := map[bkjob.Status]bool{}
		total := 0
		if from <= to {
			first := from - from%bucketMS
			buckets = make([]histogramBucket, (to-first)/bucketMS+1)
			for i := range buckets {
				buckets[i] = histogramBucket{Start: first + int64(i)*bucketMS, ByStatus: map[string]int{}}
			}
			err := g.history.EachContext(r.Context(), scope, from, to, now, func(j bkjob.JobInstance) bool {
				b := &buckets[(j.CreateTime-first)/bucketMS]
				b.Total++
				b.ByStatus[strconv.Itoa(int(j.Status))]++
				statuses[j.Status] = true
				total++
				return true
			})
			if err != nil {
				writeMockError(w, &mockError{status: http.StatusGatewayTimeout, Code: "QUERY_BUDGET", Message: err.Error()})
				return
			}
		}
		seen := []int{}
		for s := range statuses {
			seen = append(seen, int(s))
		}
		slices.Sort(seen)
		writeAdminJSON(w, http.StatusOK, map[string]any{
			"scope": scope.String(), "from": from, "to": to, "now": now, "bucket_ms": bucketMS,
			"total": total, "statuses": seen, "buckets": buckets,
		})
	})
}
