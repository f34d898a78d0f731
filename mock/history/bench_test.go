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
	b.ReportMetric(float64(count(h, fx)), "tasks")
	return h
}

var bench1 = bkjob.Scope{Type: "biz", ID: "1"}

func BenchmarkListDefault1M(b *testing.B) {
	h := million(b)
	q := bkjob.Query{Scope: bench1, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10}
	b.ResetTimer()
	for b.Loop() {
		if len(h.List(q, now)) != 10 {
			b.Fatal("short page")
		}
	}
}

func BenchmarkListNoMatch1M(b *testing.B) {
	h := million(b)
	base := bkjob.Query{Scope: bench1, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10}
	cases := map[string]func(*bkjob.Query){
		"operator":    func(q *bkjob.Query) { q.Operator = "nobody" },
		"name":        func(q *bkjob.Query) { q.Name = "zzz" },
		"cron":        func(q *bkjob.Query) { q.JobCronID = 999 },
		"type+launch": func(q *bkjob.Query) { q.Type, q.LaunchMode = ptr(bkjob.TypeScript), ptr(bkjob.LaunchCron) }, // scans all
		"status":      func(q *bkjob.Query) { q.Status = ptr(bkjob.StatusBlank) },                                   // scans all, computing each status
		"ip+operator": func(q *bkjob.Query) { q.IP, q.Operator, q.Status = "10.1.0.1", "sunqi", ptr(bkjob.StatusStopping) },
	}
	for name, f := range cases {
		q := base
		f(&q)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				h.List(q, now)
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

// BenchmarkMemory10M reports the heap a History holds for 10M tasks.
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
		held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		b.ReportMetric(float64(n), "tasks")
		b.ReportMetric(held/float64(n), "bytes/task")
		b.ReportMetric(held/(1<<20), "MiB")
	}
}
