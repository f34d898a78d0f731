package history_test

import (
	"context"
	"fmt"
	"math/rand"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// now is the pinned clock of most tests: a Wednesday, 10:00 in Shanghai.
var now = time.Date(2026, 3, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli()

const (
	minute = int64(60_000)
	hour   = 60 * minute
	day    = 24 * hour
)

var (
	biz2   = bkjob.Scope{Type: "biz", ID: "2"}
	bizSet = bkjob.Scope{Type: "biz_set", ID: "9991001"}
)

func defaultFixtures(t testing.TB) *fixtures.Fixtures {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	return fx
}

func scopes(fx *fixtures.Fixtures) []bkjob.Scope {
	var out []bkjob.Scope
	for _, s := range fx.Scopes {
		out = append(out, bkjob.Scope{Type: s.Type, ID: s.ID})
	}
	return out
}

// dump returns every task of scope visible at now, in API order.
func dump(h *history.History, scope bkjob.Scope, at int64) []bkjob.JobInstance {
	var out []bkjob.JobInstance
	h.Each(scope, 0, at, at, func(j bkjob.JobInstance) bool {
		out = append(out, j)
		return true
	})
	return out
}

func ptr[T any](v T) *T { return &v }

// query is a query over the last 30 days with the default page.
func query(scope bkjob.Scope) bkjob.Query {
	return bkjob.Query{Scope: scope, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10}
}

// likeRegexp translates a SQL LIKE '%pat%' into an anchored regexp: the
// oracle's independent reading of the name filter.
func likeRegexp(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?is)^.*`)
	for _, r := range pat {
		switch r {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`.*$`)
	return regexp.MustCompile(b.String())
}

// oracle answers q over all the tasks visible at now, by brute force.
func oracle(all []bkjob.JobInstance, q bkjob.Query) []bkjob.JobInstance {
	var like *regexp.Regexp
	if strings.TrimSpace(q.Name) != "" {
		like = likeRegexp(q.Name)
	}
	nameOK := map[string]bool{}
	var got []bkjob.JobInstance
	for _, j := range all {
		if q.IP != "" {
			found := false
			for _, h := range j.Hosts {
				found = found || h == q.IP
			}
			if !found {
				continue
			}
		}
		if q.JobInstanceID > 0 {
			if j.ID == q.JobInstanceID {
				got = append(got, j)
			}
			continue
		}
		if j.CreateTime < q.CreateTimeStart || j.CreateTime > q.CreateTimeEnd {
			continue
		}
		if strings.TrimSpace(q.Operator) != "" && !strings.EqualFold(j.Operator, q.Operator) {
			continue
		}
		if like != nil {
			ok, seen := nameOK[j.Name]
			if !seen {
				ok = like.MatchString(j.Name)
				nameOK[j.Name] = ok
			}
			if !ok {
				continue
			}
		}
		if q.JobCronID > 0 && j.CronID != q.JobCronID {
			continue
		}
		if q.Status != nil && j.Status != *q.Status {
			continue
		}
		if q.Type != nil && j.Type != *q.Type {
			continue
		}
		if q.LaunchMode != nil && j.LaunchMode != *q.LaunchMode {
			continue
		}
		got = append(got, j)
	}
	sort.SliceStable(got, func(a, b int) bool {
		if got[a].CreateTime != got[b].CreateTime {
			return got[a].CreateTime > got[b].CreateTime
		}
		return got[a].ID < got[b].ID
	})
	from := min(q.Offset, len(got))
	to := min(from+q.Length, len(got))
	return append([]bkjob.JobInstance{}, got[from:to]...)
}

// randomQuery draws a query over scope from values that hit and miss.
func randomQuery(r *rand.Rand, scope bkjob.Scope, all []bkjob.JobInstance) bkjob.Query {
	q := bkjob.Query{Scope: scope, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10}
	oneOf := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	some := func() bkjob.JobInstance { return all[r.Intn(len(all))] }
	switch r.Intn(6) {
	case 0: // a random sub-window
		a, b := now-r.Int63n(31*day), now-r.Int63n(31*day)
		q.CreateTimeStart, q.CreateTimeEnd = min(a, b), max(a, b)
	case 1: // bounds on a task's exact create_time
		c := some().CreateTime
		q.CreateTimeStart, q.CreateTimeEnd = c-r.Int63n(2)*hour, c
	case 2: // inverted
		q.CreateTimeStart, q.CreateTimeEnd = now, now-hour
	case 3: // beyond now and retention
		q.CreateTimeStart, q.CreateTimeEnd = now-90*day, now+90*day
	}
	if r.Intn(4) == 0 {
		q.Operator = oneOf(some().Operator, "ADMIN", "Zhangsan", "nobody", "  ", "admin ")
	}
	if r.Intn(4) == 0 {
		n := []rune(some().Name)
		i := r.Intn(len(n))
		q.Name = oneOf(string(n[i:min(i+3, len(n))]), "web", "API Quick", "快速%日志", "_", "%", "ngin_", "zzz",
			"发布-web集群(灰度)", "db备份", "   ", "快速执行脚本_", "script_1", "__________________________________________")
	}
	if r.Intn(4) == 0 {
		j := some()
		q.IP = oneOf(j.Hosts[r.Intn(len(j.Hosts))], "0:"+j.Hosts[0], "::1", "10.255.255.255", "")
	}
	if r.Intn(5) == 0 {
		q.Status = ptr(bkjob.Statuses[r.Intn(len(bkjob.Statuses))])
	}
	if r.Intn(5) == 0 {
		q.Type = ptr(bkjob.TaskType(r.Intn(3)))
	}
	if r.Intn(5) == 0 {
		q.LaunchMode = ptr(bkjob.LaunchMode(1 + r.Intn(3)))
	}
	if r.Intn(6) == 0 {
		q.JobCronID = []int64{some().CronID, 501, 502, 601, 999999, 0, -1}[r.Intn(7)]
	}
	if r.Intn(8) == 0 {
		q.JobInstanceID = []int64{some().ID, some().ID + 1, 20000000000, -5}[r.Intn(4)]
	}
	q.Offset = []int{0, 0, 0, 3, 10, 37, 10000}[r.Intn(7)]
	q.Length = []int{10, 10, 1, 20, 200}[r.Intn(5)]
	return q
}

func TestListMatchesOracle(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	// A shorter retention keeps the brute-force oracle quick under -race.
	h := history.New(fx, history.Options{Seed: 7, Retention: 3 * 24 * time.Hour})
	for _, scope := range scopes(fx) {
		t.Run(scope.String(), func(t *testing.T) {
			t.Parallel()
			all := dump(h, scope, now)
			require.NotEmpty(t, all)
			r := rand.New(rand.NewSource(int64(len(all))))
			for i := range 300 {
				q := randomQuery(r, scope, all)
				want := oracle(all, q)
				got := h.List(q, now)
				require.NotNil(t, got)
				if !assert.Equal(t, want, got, "query %d: %+v", i, q) {
					return
				}
				// AppendPage: the same page after what dst held, without hosts.
				head := []bkjob.JobInstance{{ID: -1}}
				page, err := h.AppendPage(context.Background(), head, q, now)
				require.NoError(t, err)
				require.Equal(t, head[0], page[0], "dst's items are kept")
				for j := range want {
					want[j].Hosts = nil
				}
				if !assert.Equal(t, want, page[1:], "AppendPage, query %d: %+v", i, q) {
					return
				}
			}
		})
	}
}

func TestAppendPageAllocatesNothing(t *testing.T) {
	h := history.New(defaultFixtures(t), history.Options{Seed: 7})
	ctx := context.Background()
	dst := make([]bkjob.JobInstance, 0, 200)
	for _, c := range []struct {
		q      bkjob.Query
		allocs float64
	}{
		{query(biz2), 0},
		{bkjob.Query{Scope: biz2, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Offset: 40, Length: 50}, 0},
		{bkjob.Query{Scope: biz2, CreateTimeStart: now - 7*day, CreateTimeEnd: now, Length: 20, Operator: "admin"}, 1}, // which operators match
		{bkjob.Query{Scope: biz2, CreateTimeStart: now - 7*day, CreateTimeEnd: now, Length: 20, Name: "a"}, 1},         // which names match
	} {
		page, err := h.AppendPage(ctx, dst, c.q, now) // generates the days
		require.NoError(t, err)
		require.Len(t, page, c.q.Length)
		allocs := testing.AllocsPerRun(20, func() { h.AppendPage(ctx, dst, c.q, now) })
		assert.Equal(t, c.allocs, allocs, "%+v", c.q)
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 1, Retention: 3 * 24 * time.Hour})
	all := dump(h, biz2, now)
	require.NotEmpty(t, all)
	var file, cron bkjob.JobInstance
	for _, j := range all {
		if j.Type == bkjob.TypeFile && len(j.Hosts) >= 3 && file.ID == 0 {
			file = j
		}
		if j.CronID == 503 && cron.ID == 0 {
			cron = j
		}
	}
	require.NotZero(t, file.ID)
	require.NotZero(t, cron.ID)
	base := query(biz2)
	base.Length = 200
	with := func(f func(*bkjob.Query)) bkjob.Query {
		q := base
		f(&q)
		return q
	}
	tests := []struct {
		name      string
		q         bkjob.Query
		wantEmpty bool
		check     func(t *testing.T, j bkjob.JobInstance)
	}{
		{"no filter", base, false, nil},
		{"operator exact", with(func(q *bkjob.Query) { q.Operator = "lisi" }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.Equal(t, "lisi", j.Operator) }},
		{"operator any case", with(func(q *bkjob.Query) { q.Operator = "LiSi" }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.Equal(t, "lisi", j.Operator) }},
		{"operator is not a substring", with(func(q *bkjob.Query) { q.Operator = "lis" }), true, nil},
		{"operator unknown", with(func(q *bkjob.Query) { q.Operator = "nobody" }), true, nil},
		{"operator blank means any", with(func(q *bkjob.Query) { q.Operator = " \t" }), false, nil},
		{"name substring any case", with(func(q *bkjob.Query) { q.Name = "NGINX" }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.Contains(t, strings.ToLower(j.Name), "nginx") }},
		{"name percent is a wildcard", with(func(q *bkjob.Query) { q.Name = "快速%日志" }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.Regexp(t, "^快速.*日志", j.Name) }},
		{"name underscore is one rune", with(func(q *bkjob.Query) { q.Name = "快速_行" }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.True(t, strings.HasPrefix(j.Name, "快速执行")) }},
		{"name underscore is not two runes", with(func(q *bkjob.Query) { q.Name = "快_行" }), true, nil},
		{"name with parentheses", with(func(q *bkjob.Query) { q.Name = "(灰度)" }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.Equal(t, "发布-web集群(灰度)", j.Name) }},
		{"name unknown", with(func(q *bkjob.Query) { q.Name = "zzz" }), true, nil},
		{"name blank means any", with(func(q *bkjob.Query) { q.Name = "   " }), false, nil},
		{"ip of a file source", with(func(q *bkjob.Query) { q.IP = file.Hosts[len(file.Hosts)-1] }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.Contains(t, j.Hosts, file.Hosts[len(file.Hosts)-1]) }},
		{"ip with cloud area", with(func(q *bkjob.Query) { q.IP = "0:" + file.Hosts[0] }), true, nil},
		{"ip v6 mapped", with(func(q *bkjob.Query) { q.IP = "::ffff:" + file.Hosts[0] }), true, nil},
		{"ip unknown", with(func(q *bkjob.Query) { q.IP = "10.9.9.9" }), true, nil},
		{"cron id", with(func(q *bkjob.Query) { q.JobCronID = 503 }), false,
			func(t *testing.T, j bkjob.JobInstance) {
				assert.Equal(t, int64(503), j.CronID)
				assert.Equal(t, "每小时同步配置", j.Name)
				assert.Equal(t, int64(30), (j.CreateTime/minute)%60, "every 1h at minute 30")
			}},
		{"cron id of another scope", with(func(q *bkjob.Query) { q.JobCronID = 601 }), true, nil},
		{"cron id zero means any", with(func(q *bkjob.Query) { q.JobCronID = 0 }), false, nil},
		{"status", with(func(q *bkjob.Query) { q.Status = ptr(bkjob.StatusFail) }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.Equal(t, bkjob.StatusFail, j.Status) }},
		{"status 12 does not exist", with(func(q *bkjob.Query) { q.Status = ptr(bkjob.Status(12)) }), true, nil},
		{"type", with(func(q *bkjob.Query) { q.Type = ptr(bkjob.TypeScript) }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.Equal(t, bkjob.TypeScript, j.Type) }},
		{"launch mode", with(func(q *bkjob.Query) { q.LaunchMode = ptr(bkjob.LaunchCron) }), false,
			func(t *testing.T, j bkjob.JobInstance) { assert.NotZero(t, j.CronID) }},
		{"type and launch mode", with(func(q *bkjob.Query) {
			q.Type, q.LaunchMode = ptr(bkjob.TypeFile), ptr(bkjob.LaunchAPI)
		}), false, func(t *testing.T, j bkjob.JobInstance) {
			assert.True(t, strings.HasPrefix(j.Name, "API Quick transfer file"), j.Name)
		}},
		{"scripts are never cron runs", with(func(q *bkjob.Query) {
			q.Type, q.LaunchMode = ptr(bkjob.TypeScript), ptr(bkjob.LaunchCron)
		}), true, nil},
		{"inverted window", with(func(q *bkjob.Query) { q.CreateTimeStart, q.CreateTimeEnd = now, now-1 }), true, nil},
		{"window in the future", with(func(q *bkjob.Query) { q.CreateTimeStart, q.CreateTimeEnd = now+1, now+day }), true, nil},
		{"window before retention", with(func(q *bkjob.Query) { q.CreateTimeStart, q.CreateTimeEnd = now-10*day, now-4*day }), true, nil},
		{"job instance id ignores window and filters", with(func(q *bkjob.Query) {
			q.JobInstanceID, q.CreateTimeStart, q.CreateTimeEnd, q.Operator, q.Name = cron.ID, 0, 1, "nobody", "zzz"
		}), false, func(t *testing.T, j bkjob.JobInstance) { assert.Equal(t, cron, j) }},
		{"job instance id keeps ip", with(func(q *bkjob.Query) { q.JobInstanceID, q.IP = cron.ID, "10.9.9.9" }), true, nil},
		{"job instance id keeps offset", with(func(q *bkjob.Query) { q.JobInstanceID, q.Offset = cron.ID, 1 }), true, nil},
		{"job instance id of no task", with(func(q *bkjob.Query) { q.JobInstanceID = cron.ID + 9000 }), true, nil},
		{"job instance id of another scope", with(func(q *bkjob.Query) { q.JobInstanceID, q.Scope = cron.ID, bizSet }), true, nil},
		{"unknown scope", with(func(q *bkjob.Query) { q.Scope = bkjob.Scope{Type: "biz", ID: "999"} }), true, nil},
		{"offset beyond the end", with(func(q *bkjob.Query) { q.Offset, q.CreateTimeStart = 10000, now-hour }), true, nil},
		{"length zero", with(func(q *bkjob.Query) { q.Length = 0 }), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := h.List(tt.q, now)
			require.NotNil(t, got)
			if tt.wantEmpty {
				assert.Empty(t, got)
				return
			}
			require.NotEmpty(t, got)
			assert.Equal(t, oracle(all, tt.q), got)
			if tt.check != nil {
				for _, j := range got {
					tt.check(t, j)
				}
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	a := history.New(fx, history.Options{Seed: 42})
	var all []bkjob.JobInstance
	for _, s := range scopes(fx) {
		all = append(all, dump(a, s, now)...)
	}
	r := rand.New(rand.NewSource(1))
	queries := make([]bkjob.Query, 1000)
	for i := range queries {
		scope := scopes(fx)[r.Intn(len(fx.Scopes))]
		queries[i] = randomQuery(r, scope, all)
	}
	want := make([][]bkjob.JobInstance, len(queries))
	for i, q := range queries {
		want[i] = a.List(q, now)
	}

	// A new History answers the same, in another order and concurrently.
	b := history.New(fx, history.Options{Seed: 42})
	got := make([][]bkjob.JobInstance, len(queries))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := len(queries) - 1 - w; i >= 0; i -= 8 {
				got[i] = b.List(queries[i], now)
			}
		}()
	}
	wg.Wait()
	for i := range queries {
		require.Equal(t, want[i], got[i], "query %d: %+v", i, queries[i])
	}

	// Another seed, other data.
	c := history.New(fx, history.Options{Seed: 43})
	q := query(biz2)
	assert.NotEqual(t, a.List(q, now), c.List(q, now))
}

func TestPaging(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 3})
	filters := map[string]func(*bkjob.Query){
		"none":     func(*bkjob.Query) {},
		"operator": func(q *bkjob.Query) { q.Operator = "admin" },
		"name":     func(q *bkjob.Query) { q.Name = "快速" },
		"ip":       func(q *bkjob.Query) { q.IP = "10.0.2.11" },
		"status":   func(q *bkjob.Query) { q.Status = ptr(bkjob.StatusSuccess) },
		"type":     func(q *bkjob.Query) { q.Type = ptr(bkjob.TypePlan) },
		"launch":   func(q *bkjob.Query) { q.LaunchMode = ptr(bkjob.LaunchCron) },
		"cron":     func(q *bkjob.Query) { q.JobCronID = 501 },
		"window":   func(q *bkjob.Query) { q.CreateTimeStart, q.CreateTimeEnd = now-3*day, now-2*day },
	}
	for name, f := range filters {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			q := query(biz2)
			f(&q)
			page := func(offset, length int) []bkjob.JobInstance {
				q := q
				q.Offset, q.Length = offset, length
				return h.List(q, now)
			}
			whole := page(0, 20)
			require.Len(t, whole, 20)
			assert.Equal(t, whole, append(page(0, 10), page(10, 10)...))
			assert.Equal(t, whole[5:15], page(5, 10))
			for i := 1; i < len(whole); i++ {
				a, b := whole[i-1], whole[i]
				assert.True(t, a.CreateTime > b.CreateTime || (a.CreateTime == b.CreateTime && a.ID < b.ID), "order at %d", i)
			}
		})
	}
}

func TestWindowBoundsAndTies(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 5})
	// Crons 501 and 502 both run every 5 minutes at second 0: a tie.
	tie := time.Date(2026, 3, 3, 14, 35, 0, 0, time.UTC).UnixMilli()
	q := query(biz2)
	q.CreateTimeStart, q.CreateTimeEnd, q.LaunchMode = tie, tie, ptr(bkjob.LaunchCron)
	got := h.List(q, now)
	require.Len(t, got, 2)
	assert.Equal(t, []int64{501, 502}, []int64{got[0].CronID, got[1].CronID})
	assert.Less(t, got[0].ID, got[1].ID)

	// Both bounds are inclusive.
	q = query(biz2)
	q.Length = 200
	q.CreateTimeStart, q.CreateTimeEnd = tie, tie
	assert.Len(t, h.List(q, now), 2)
	q.CreateTimeStart, q.CreateTimeEnd = tie+1, tie+minute-1
	inside := h.List(q, now)
	for _, j := range inside {
		assert.Greater(t, j.CreateTime, tie)
	}
	first, last := inside[len(inside)-1].CreateTime, inside[0].CreateTime
	q.CreateTimeStart, q.CreateTimeEnd = first, last
	assert.Equal(t, inside, h.List(q, now))
	q.CreateTimeStart, q.CreateTimeEnd = first+1, last-1
	assert.Len(t, h.List(q, now), len(inside)-2)
}

func TestInstances(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 11, Retention: 10 * 24 * time.Hour})
	ids := map[int64]bool{}
	for i, s := range fx.Scopes {
		scope := scopes(fx)[i]
		plans := map[int64]fixtures.Plan{}
		for _, p := range s.Plans {
			plans[p.ID] = p
		}
		crons := map[int64]fixtures.Cron{}
		for _, c := range s.Crons {
			crons[c.ID] = c
		}
		all := dump(h, scope, now)
		require.NotEmpty(t, all)
		statuses := map[bkjob.Status]int{}
		for k, j := range all {
			// Plain checks: there are tens of thousands of tasks.
			check := func(ok bool, what string) {
				t.Helper()
				if !ok {
					t.Fatalf("%s: %+v", what, j)
				}
			}
			statuses[j.Status]++
			check(!ids[j.ID], "id unique across scopes")
			ids[j.ID] = true
			check(j.ID >= 20000000000, "id in the real range")
			m, ok := h.MinuteOf(j.ID)
			check(ok && m == j.CreateTime-j.CreateTime%minute, "id decodes to its minute")
			if k > 0 {
				prev := all[k-1]
				check(prev.CreateTime > j.CreateTime || (prev.CreateTime == j.CreateTime && prev.ID < j.ID), "API order")
				check(prev.CreateTime == j.CreateTime || prev.ID > j.ID, "ids grow with create_time")
			}
			check(j.Scope == scope, "scope")
			if scope.Type == "biz" {
				check(j.BizID == s.Num, "bk_biz_id is the business id")
			} else {
				check(j.BizID == 0, "no bk_biz_id on a business set")
			}
			check(j.Name != "", "name")
			check(slices.Contains(s.Operators, j.Operator), "operator from the pool")
			check(j.Status.Valid() && j.Type.Valid() && j.LaunchMode.Valid(), "enums")
			check(len(j.Hosts) >= 1 && len(j.Hosts) <= 8, "1-6 targets and up to 2 sources")
			for _, host := range j.Hosts {
				check(slices.Contains(s.Hosts, host), "host from the pool")
			}
			switch {
			case j.LaunchMode == bkjob.LaunchCron:
				c, ok := crons[j.CronID]
				check(ok, "cron id of the scope")
				check(j.Name == c.Name, "cron runs carry the cron's name")
				check(j.Type == bkjob.TypePlan, "cron runs are plan runs")
				check(j.PlanID == c.Plan && j.TemplateID == plans[c.Plan].TemplateID, "cron runs carry their plan's ids")
				check(j.CreateTime%minute == 0, "cron runs start at second 0")
				check((j.CreateTime/minute+8*60)%c.EveryMinutes == c.OffsetMinutes, "cron period and offset")
			case j.Type == bkjob.TypePlan:
				p, ok := plans[j.PlanID]
				check(j.CronID == 0, "no cron id")
				check(ok && p.Name == j.Name && p.TemplateID == j.TemplateID, "plan runs carry the plan's name and ids")
			default:
				check(j.CronID == 0, "no cron id")
				check(j.PlanID == -1 && j.TemplateID == -1, "quick tasks have plan and template -1")
				check(j.LaunchMode == bkjob.LaunchAPI == strings.HasPrefix(j.Name, "API Quick"), "API launches have API names")
			}
			if err := timesError(j, now); err != "" {
				check(false, err)
			}
		}
		if scope == biz2 {
			for _, st := range []bkjob.Status{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 15} {
				assert.NotZero(t, statuses[st], "status %d in biz:2", st)
			}
		}
		assert.Zero(t, statuses[12])
	}
}

// checkTimes checks the time fields of j against its status (reference §4b).
func checkTimes(t *testing.T, j bkjob.JobInstance, at int64) {
	t.Helper()
	if err := timesError(j, at); err != "" {
		t.Errorf("%s: %+v", err, j)
	}
}

func timesError(j bkjob.JobInstance, at int64) string {
	st := j.Status
	switch {
	case st == bkjob.StatusBlank:
		if j.StartTime != 0 || j.EndTime != 0 || j.HasTotalTime {
			return "status 1 has no times"
		}
	case st.LiveTotalTime():
		if j.StartTime == 0 || j.EndTime != 0 || !j.HasTotalTime || j.TotalTime != at-j.StartTime {
			return "status 2, 7, 10: start_time and live total_time"
		}
	case st == bkjob.StatusRollingWaiting:
		if j.StartTime == 0 || j.EndTime != 0 || j.HasTotalTime {
			return "status 15: start_time only"
		}
	case st.Finished():
		if j.StartTime == 0 || j.EndTime == 0 || !j.HasTotalTime || j.TotalTime != j.EndTime-j.StartTime {
			return "finished: start, end and total = end - start"
		}
		if j.EndTime < j.StartTime || j.EndTime > at {
			return "start <= end <= now"
		}
	default:
		return "unknown status"
	}
	if j.CreateTime > at || (j.StartTime != 0 && (j.StartTime < j.CreateTime || j.StartTime > at)) {
		return "create <= start <= now"
	}
	return ""
}

func TestRunningClock(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 9})
	q := query(biz2)
	q.Length = 200
	before := h.List(q, now)
	require.Len(t, before, 200)
	pending := 0
	for _, later := range []int64{now + 2*minute, now + 10*minute, now + 5*hour, now + 2*day} {
		for _, j := range before {
			byID := bkjob.Query{Scope: biz2, JobInstanceID: j.ID, Length: 1}
			got := h.List(byID, later)
			require.Len(t, got, 1)
			k := got[0]
			assert.Equal(t, j.ID, k.ID)
			assert.Equal(t, j.Name, k.Name)
			assert.Equal(t, j.Operator, k.Operator)
			assert.Equal(t, j.CreateTime, k.CreateTime)
			assert.Equal(t, j.Hosts, k.Hosts)
			assert.Equal(t, j.PlanID, k.PlanID)
			if j.StartTime != 0 {
				assert.Equal(t, j.StartTime, k.StartTime)
			}
			if j.Status.Finished() {
				assert.Equal(t, j, k)
			}
			if j.Status == bkjob.StatusBlank {
				pending++
				if later >= now+10*minute {
					assert.NotEqual(t, bkjob.StatusBlank, k.Status, "starts within minutes")
				}
			}
			if later >= now+2*day {
				assert.True(t, k.Status.Finished(), "finished after two days: %+v", k)
			}
			checkTimes(t, k, later)
		}
	}
	assert.NotZero(t, pending, "the newest tasks are waiting to start")
	// The newest tasks at a later instant are new ones; the older are the same.
	q.CreateTimeEnd = now + hour
	after := h.List(q, now+hour)
	assert.Greater(t, after[len(after)-1].CreateTime, before[0].CreateTime)
}

func TestRetention(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	const ret = 6 * time.Hour
	long := history.New(fx, history.Options{Seed: 2})
	short := history.New(fx, history.Options{Seed: 2, Retention: ret})
	all := dump(long, biz2, now)
	j := all[len(all)/2]
	edge := j.CreateTime + ret.Milliseconds() // j is exactly Retention old
	byID := bkjob.Query{Scope: biz2, JobInstanceID: j.ID, Length: 10}
	window := bkjob.Query{Scope: biz2, CreateTimeStart: j.CreateTime - hour, CreateTimeEnd: j.CreateTime, Length: 200}
	contains := func(js []bkjob.JobInstance) bool {
		for _, k := range js {
			if k.ID == j.ID {
				return true
			}
		}
		return false
	}
	assert.Len(t, short.List(byID, edge), 1)
	assert.True(t, contains(short.List(window, edge)))
	assert.Empty(t, short.List(byID, edge+1))
	assert.False(t, contains(short.List(window, edge+1)))
	// Retention changes what is visible, not what exists.
	k := short.List(byID, edge)[0]
	assert.Equal(t, long.List(byID, edge)[0], k)

	// Default retention: 30 days.
	old := all
	assert.GreaterOrEqual(t, old[len(old)-1].CreateTime, now-30*day)
	assert.Less(t, old[len(old)-1].CreateTime, now-30*day+hour)
	// Nothing was created after now.
	assert.LessOrEqual(t, old[0].CreateTime, now)
}

func TestRatesAndMix(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 1})
	// Four whole weeks: the daily rhythm averages out.
	from := now - 28*day + 1
	var tasks, types [3]int
	var launches [4]int
	ops := map[string]int{}
	h.Each(biz2, from, now, now, func(j bkjob.JobInstance) bool {
		if j.LaunchMode != bkjob.LaunchCron {
			tasks[0]++
			types[j.Type]++
			launches[j.LaunchMode]++
			ops[j.Operator]++
		}
		return true
	})
	want := 4.0 * 28 * 24 * 60 // tasks_per_minute of biz:2
	assert.InEpsilon(t, want, float64(tasks[0]), 0.03)
	n := float64(tasks[0])
	assert.InDelta(t, 0.50, float64(types[0])/n, 0.02)
	assert.InDelta(t, 0.35, float64(types[1])/n, 0.02)
	assert.InDelta(t, 0.15, float64(types[2])/n, 0.02)
	assert.InDelta(t, 0.55, float64(launches[1])/n, 0.02)
	for op, c := range ops {
		if op != "admin" {
			assert.Greater(t, ops["admin"], c, "admin runs the most tasks")
		}
	}

	// Working hours are busier than nights, and weekdays than weekends.
	count := func(from, to int64) int {
		n := 0
		h.Each(biz2, from, to, now, func(bkjob.JobInstance) bool { n++; return true })
		return n
	}
	wed := time.Date(2026, 3, 4, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli() - 7*day
	sun := wed - 3*day
	assert.Greater(t, count(wed+10*hour, wed+11*hour), 3*count(wed+3*hour, wed+4*hour))
	assert.Greater(t, count(wed, wed+day), 2*count(sun, sun+day))
}

func TestScale(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 1, Scale: 20, Retention: time.Hour})
	all := dump(h, biz2, now)
	assert.Greater(t, len(all), 20*4*60/2)
	seen := map[int64]bool{}
	for _, s := range scopes(fx) {
		for _, j := range dump(h, s, now) {
			require.False(t, seen[j.ID])
			seen[j.ID] = true
		}
	}
	assert.Panics(t, func() { history.New(fx, history.Options{}) }, "seed 0")
	assert.Panics(t, func() { history.New(fx, history.Options{Seed: 1, Scale: -1}) })
}

func TestBeforeEpoch(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 1})
	early := time.Date(2020, 1, 1, 0, 30, 0, 0, time.UTC).UnixMilli()
	got := dump(h, biz2, early)
	require.NotEmpty(t, got)
	assert.GreaterOrEqual(t, got[len(got)-1].CreateTime, history.Epoch)
	assert.GreaterOrEqual(t, got[len(got)-1].ID, history.FirstID)
	assert.Empty(t, dump(h, biz2, history.Epoch-1))
}

func ExampleHistory_List() {
	fx, _ := fixtures.Default()
	h := history.New(fx, history.Options{Seed: 1})
	at := time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC).UnixMilli() // 10:00 in Shanghai
	q := bkjob.Query{
		Scope:           bkjob.Scope{Type: "biz", ID: "2"},
		CreateTimeStart: at - 24*3600*1000,
		CreateTimeEnd:   at,
		JobCronID:       504,
		Length:          2,
	}
	for _, j := range h.List(q, at) {
		fmt.Println(j.Name, j.LaunchMode, j.PlanID, time.UnixMilli(j.CreateTime).UTC().Format(time.RFC3339))
	}
	// Output:
	// 每日DB备份 3 1004 2026-03-03T18:00:00Z
}
