package history_test

// The speed and size budgets of DESIGN.md, measured:
//
//	go test ./mock/history -run '^$' -bench . -benchmem
//
// A scope with 1,000,000 tasks in its 30-day window answers the default query
// in under 1 ms and a query matching nothing in under 20 ms; 10 million tasks
// fit in 2 GiB (BenchmarkMemory10M reports bytes/task).

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// ratePerMillion is the tasks_per_minute that makes about 1,000,000 tasks in
// 30 days (43,200 minutes).
const ratePerMillion = 1_000_000.0 / (30 * 24 * 60)

// benchFixtures returns fixtures with n busy scopes, biz:1 .. biz:n.
func benchFixtures(tb testing.TB, n int, rate float64) *fixtures.Fixtures {
	tb.Helper()
	var b strings.Builder
	b.WriteString("scopes:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - scope: biz:%d\n    name: bench %d\n    tasks_per_minute: %g\n    hosts: [", i, i, rate)
		for h := range 40 {
			if h > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "10.%d.%d.%d", i, h/8, h%8+1)
		}
		b.WriteString("]\n    operators: [admin, zhangsan, lisi, wangwu, zhaoliu, sunqi]\n    plans:\n")
		for p := range 10 {
			fmt.Fprintf(&b, "      - {id: %d, template_id: %d, name: 发布-web集群-%d}\n", i*100+p, i*10+p/2, p)
		}
		fmt.Fprintf(&b, "    crons:\n      - {id: %d, name: 巡检, plan: %d, every: 5m}\n", i, i*100)
		fmt.Fprintf(&b, "      - {id: %d, name: nightly, plan: %d, every: 24h}\n", 1000+i, i*100+1)
		b.WriteString("    names:\n")
		b.WriteString("      script: {zh: [快速执行脚本_清理日志, 快速执行脚本_重启], en: [API Quick execution script restart nginx]}\n")
		b.WriteString("      file: {zh: [快速分发文件_配置下发], en: [API Quick transfer file sync config]}\n")
	}
	fx, err := fixtures.Parse("bench.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return fx
}

// materialize generates every task visible at now, without rendering them
// (the query matches nothing but scans everything).
func materialize(h *history.History, fx *fixtures.Fixtures) {
	for _, s := range scopes(fx) {
		q := bkjob.Query{Scope: s, CreateTimeStart: 0, CreateTimeEnd: now, Length: 10,
			Type: ptr(bkjob.TypeScript), LaunchMode: ptr(bkjob.LaunchCron)}
		h.List(q, now)
	}
}

// count returns how many tasks are visible at now.
func count(h *history.History, fx *fixtures.Fixtures) int {
	n := 0
	for _, s := range scopes(fx) {
		h.Each(s, 0, now, now, func(bkjob.JobInstance) bool { n++; return true })
	}
	return n
}

// million returns a materialized History whose biz:1 has about 1M tasks.
func million(b *testing.B) *history.History {
	fx := benchFixtures(b, 1, ratePerMillion)
	h := history.New(fx, history.Options{Seed: 1})
	materialize(h, fx)
	millionTasks(b, count(h, fx))
	return h
}

var bench1 = bkjob.Scope{Type: "biz", ID: "1"}

// Budgets of DESIGN.md, per query at 1M tasks in the window.
const (
	budgetDefaultMs = 1.0
	budgetNoMatchMs = 20.0
)

// reportBudget reports the mean time of a query in ms and as a fraction of
// its budget (of-budget: under 1 is within it).
func reportBudget(b *testing.B, budgetMs float64) {
	ms := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / 1e6
	b.ReportMetric(ms, "ms/query")
	b.ReportMetric(ms/budgetMs, "of-budget")
}

// millionTasks fails b unless there are about 1M tasks: the budgets are for that.
func millionTasks(b *testing.B, n int) {
	if n < 950_000 || n > 1_050_000 {
		b.Fatalf("%d tasks in the window, want about 1,000,000", n)
	}
}

// BenchmarkListDefault1M is the default query (30 days, no filter, the
// first page of 10) over a scope with 1M tasks in its window; budget 1 ms.
func BenchmarkListDefault1M(b *testing.B) {
	h := million(b)
	q := bkjob.Query{Scope: bench1, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10}
	first := h.List(q, now)
	if len(first) != 10 || first[0].CreateTime < first[9].CreateTime || first[0].CreateTime < now-day {
		b.Fatalf("want the 10 newest tasks, got %d", len(first))
	}
	b.ResetTimer()
	for b.Loop() {
		if page := h.List(q, now); len(page) != 10 || page[0].ID != first[0].ID {
			b.Fatal("a different page")
		}
	}
	reportBudget(b, budgetDefaultMs)
}

// BenchmarkListNoMatch1M are queries whose filters match none of the 1M
// tasks of the window. The "scan" ones can be ruled out neither from the
// filters nor from any day's summary: they read every task of all 31 days
// (budget 20 ms). The "summary" ones are passed over day by day, and the
// "ruled-out" ones name an operator, name or cron the scope does not have
// and answer at once.
func BenchmarkListNoMatch1M(b *testing.B) {
	h := million(b)
	base := bkjob.Query{Scope: bench1, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10}
	for _, tc := range []struct {
		name string
		read int // days read task by task
		f    func(*bkjob.Query)
	}{
		{"scan/type+name", 31, func(q *bkjob.Query) { q.Type, q.Name = ptr(bkjob.TypeScript), "发布" }},                            // scripts never bear plan names
		{"scan/launch+name", 31, func(q *bkjob.Query) { q.LaunchMode, q.Name = ptr(bkjob.LaunchCron), "快速执行" }},                  // cron runs never bear quick-task names
		{"summary/type+launch", 0, func(q *bkjob.Query) { q.Type, q.LaunchMode = ptr(bkjob.TypeScript), ptr(bkjob.LaunchCron) }}, // script tasks are never launched by cron
		{"summary/status", 2, func(q *bkjob.Query) { q.Status = ptr(bkjob.StatusStopping) }},                                     // only tasks of today and yesterday may still run
		{"ruled-out/operator", 0, func(q *bkjob.Query) { q.Operator = "nobody" }},
		{"ruled-out/name", 0, func(q *bkjob.Query) { q.Name = "zzz" }},
		{"ruled-out/cron", 0, func(q *bkjob.Query) { q.JobCronID = 999 }},
	} {
		q := base
		tc.f(&q)
		b.Run(tc.name, func(b *testing.B) {
			if got := h.List(q, now); len(got) != 0 {
				b.Fatalf("matches %d tasks", len(got))
			}
			if got := history.DaysRead(h, q, now); got != tc.read {
				b.Fatalf("reads %d days task by task, want %d", got, tc.read)
			}
			for b.Loop() {
				if len(h.List(q, now)) != 0 {
					b.Fatal("matches")
				}
			}
			if tc.read > 2 {
				reportBudget(b, budgetNoMatchMs)
			} else {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/query")
			}
		})
	}
}

// BenchmarkMaterialize generates 30 days of a 1M-task scope from scratch.
func BenchmarkMaterialize(b *testing.B) {
	fx := benchFixtures(b, 1, ratePerMillion)
	var h *history.History
	for b.Loop() {
		h = history.New(fx, history.Options{Seed: 1})
		materialize(h, fx)
	}
	n := count(h, fx)
	b.ReportMetric(float64(n), "tasks")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/task")
}

// BenchmarkMaterializeDefault generates 30 days of every scope of the default fixtures.
func BenchmarkMaterializeDefault(b *testing.B) {
	fx := defaultFixtures(b)
	var h *history.History
	for b.Loop() {
		h = history.New(fx, history.Options{Seed: 1})
		materialize(h, fx)
	}
	b.ReportMetric(float64(count(h, fx)), "tasks")
}

// BenchmarkFirstQuery is the default query on a fresh History of the default
// fixtures: it generates only the day it needs.
func BenchmarkFirstQuery(b *testing.B) {
	fx := defaultFixtures(b)
	q := query(biz2)
	for b.Loop() {
		history.New(fx, history.Options{Seed: 1}).List(q, now)
	}
}

// BenchmarkMemory10M reports the heap a History holds for 10M tasks, in
// bytes per task and MiB; it fails over the budget of 2 GiB.
func BenchmarkMemory10M(b *testing.B) {
	if testing.Short() {
		b.Skip("generates 10 million tasks")
	}
	fx := benchFixtures(b, 10, ratePerMillion)
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		h := history.New(fx, history.Options{Seed: 1})
		materialize(h, fx)
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := count(h, fx)
		runtime.KeepAlive(h)
		if n < 9_500_000 || n > 10_500_000 {
			b.Fatalf("%d tasks, want about 10,000,000", n)
		}
		held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		b.ReportMetric(float64(n), "tasks")
		b.ReportMetric(held/float64(n), "bytes/task")
		b.ReportMetric(held/(1<<20), "MiB")
		if held > 2<<30 {
			b.Errorf("%.0f MiB held for %d tasks, over the budget of 2 GiB", held/(1<<20), n)
		}
	}
}

// BenchmarkScale is what --scale costs, for biz 2 of the default fixtures (4
// tasks a minute at scale 1) on a fresh History each time: start-up (New),
// the first default query (it generates the newest day), the same warm, the
// first 30-day query matching nothing that reads every task (it generates
// all 31 days, on every core), the same warm, and the heap held after. The
// figures are in docs/speed.md; scale 1000 takes about 7 GiB and half a minute.
func BenchmarkScale(b *testing.B) {
	fx := defaultFixtures(b)
	page := bkjob.Query{Scope: biz2, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10}
	scan := page
	scan.Type, scan.Name = ptr(bkjob.TypeScript), "发布" // scripts never bear plan names
	for _, scale := range []float64{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("scale=%g", scale), func(b *testing.B) {
			var newT, firstT, warmT, scanT, rescanT time.Duration
			var held float64
			timed := func(sum *time.Duration, f func()) {
				t0 := time.Now()
				f()
				*sum += time.Since(t0)
			}
			for range b.N {
				before := heap()
				var h *history.History
				timed(&newT, func() { h = history.New(fx, history.Options{Seed: 1, Scale: scale}) })
				timed(&firstT, func() {
					if len(h.List(page, now)) != 10 {
						b.Fatal("no full page")
					}
				})
				timed(&warmT, func() { h.List(page, now) })
				timed(&scanT, func() {
					if len(h.List(scan, now)) != 0 {
						b.Fatal("the scan matches")
					}
				})
				timed(&rescanT, func() { h.List(scan, now) })
				if got := history.DaysRead(h, scan, now); got != 31 {
					b.Fatalf("the scan reads %d days, want 31", got)
				}
				held += float64(heap()) - float64(before)
				runtime.KeepAlive(h)
			}
			n := float64(b.N)
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / n / 1e6 }
			b.ReportMetric(per(newT), "new-ms")
			b.ReportMetric(per(firstT), "first-page-ms")
			b.ReportMetric(per(warmT), "page-ms")
			b.ReportMetric(per(scanT), "first-scan-ms")
			b.ReportMetric(per(rescanT), "scan-ms")
			b.ReportMetric(held/n/(1<<20), "heap-MiB")
		})
	}
}
