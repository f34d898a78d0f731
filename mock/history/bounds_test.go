package history_test

import (
	"math"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

func TestIDRange(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	r := rand.New(rand.NewSource(1))
	for _, scale := range []float64{1, 10, 100, 1000} {
		h := history.New(fx, history.Options{Seed: 1, Scale: scale})
		for range 200 {
			ms := history.Epoch + r.Int63n(history.End-history.Epoch)
			minute := ms - (ms-history.Epoch)%minute
			first, last := h.IDRange(ms)
			require.Less(t, first, last)
			for _, id := range []int64{first, last, first + r.Int63n(last-first+1)} {
				got, ok := h.MinuteOf(id)
				require.True(t, ok, "scale %v: id %d", scale, id)
				require.Equal(t, minute, got, "scale %v: id %d of minute %d", scale, id, minute)
			}
			if minute+60_000 < history.End {
				next, _ := h.IDRange(minute + 60_000)
				require.Equal(t, last+1, next, "scale %v: ranges are adjacent", scale)
			}
		}
		// Real tasks: every scope small enough to generate cheaply at this scale.
		for _, fs := range fx.Scopes {
			if fs.TasksPerMinute*scale > 200 {
				continue
			}
			scope := bkjob.Scope{Type: fs.Type, ID: fs.ID}
			n := 0
			h.Each(scope, now-2*hour, now, now, func(j bkjob.JobInstance) bool {
				first, last := h.IDRange(j.CreateTime)
				assert.GreaterOrEqual(t, j.ID, first, "scale %v: %+v", scale, j)
				assert.LessOrEqual(t, j.ID, last, "scale %v: %+v", scale, j)
				n++
				return true
			})
			assert.NotZero(t, n, "scale %v, %v", scale, scope)
		}
	}
	h := history.New(fx, history.Options{Seed: 1})
	first, _ := h.IDRange(history.Epoch - day)
	assert.Equal(t, history.FirstID, first, "before Epoch: the first minute")
	_, last := h.IDRange(math.MaxInt64)
	got, ok := h.MinuteOf(last)
	require.True(t, ok)
	assert.Equal(t, history.End-minute, got, "after End: the last minute")
}

// residentBound is the package's documented bound on the memory a History
// of fx holds: per scope, tasks per day × (retention days + 2) × 40 B, with
// the weekly rhythm's margin.
func residentBound(fx *fixtures.Fixtures, scale float64, retention time.Duration) float64 {
	days := math.Ceil(float64(retention)/float64(24*time.Hour)) + 2
	b := 0.0
	for _, fs := range fx.Scopes {
		perDay := fs.TasksPerMinute * scale * 1440 * 1.25
		for _, c := range fs.Crons {
			perDay += math.Ceil(1440 / float64(c.EveryMinutes))
		}
		b += perDay * days * 40
	}
	return b
}

func heap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryBound sends adversarial ids and windows, on a pinned and on an
// advancing clock: the days held never exceed retention + 2 per scope, and the
// heap stays under the documented bound. Not parallel: it reads the heap.
func TestMemoryBound(t *testing.T) {
	fx := defaultFixtures(t)
	const scale = 2
	retention := history.DefaultRetention
	maxDays := int(retention/(24*time.Hour)) + 2
	bound := residentBound(fx, scale, retention)
	r := rand.New(rand.NewSource(7))
	all := scopes(fx)

	before := heap()
	h := history.New(fx, history.Options{Seed: 3, Scale: scale})
	check := func(at int64, what string) {
		t.Helper()
		for _, s := range all {
			require.LessOrEqual(t, len(history.CachedDays(h, s)), maxDays, "%v after %s at %d", s, what, at)
		}
	}
	visible := func(id, at int64) bool {
		m, ok := h.MinuteOf(id)
		return ok && m+minute > at-retention.Milliseconds() && m <= at
	}
	windows := [][2]int64{
		{history.Epoch, history.End},
		{0, math.MaxInt64},
		{math.MinInt64, -1},
		{-day, 0},
		{history.End, math.MaxInt64},
		{now + 365*day, now + 3650*day},
		{history.Epoch, history.Epoch + day},
	}
	attack := func(at int64, nIDs int) {
		t.Helper()
		// ids aimed at each scope's first slots in random minutes of
		// 2020..2999, and random ones: outside the window, they generate nothing.
		made := history.GeneratedDays(h)
		for range nIDs {
			first, last := h.IDRange(history.Epoch + r.Int63n(history.End-history.Epoch))
			for _, id := range []int64{first, first + 1, first + r.Int63n(last-first+1), r.Int63()} {
				if visible(id, at) {
					continue
				}
				for _, s := range all {
					assert.Empty(t, h.List(bkjob.Query{Scope: s, JobInstanceID: id, Length: 10}, at))
				}
			}
		}
		require.Equal(t, made, history.GeneratedDays(h), "ids outside the window at %d generate nothing", at)
		for _, w := range windows {
			for _, s := range all {
				h.List(bkjob.Query{Scope: s, CreateTimeStart: w[0], CreateTimeEnd: w[1], Length: 10}, at)
			}
			check(at, "a window")
		}
		// Touch every day the window holds, and a few it does not.
		for d := at - retention.Milliseconds() - 3*day; d <= at+3*day; d += 6 * hour {
			for _, s := range all {
				h.Each(s, d, d, at, func(bkjob.JobInstance) bool { return true })
			}
		}
		check(at, "every day")
	}
	// Pinned clocks, including one far from now.
	for _, at := range []int64{now, history.Epoch + 3*day, now} {
		attack(at, 100)
	}
	// A running clock: 40 days, 13 hours at a time. Days that leave the
	// window are dropped (all but the one just before it).
	// Then a quiet one: a query every 4 days touches only the newest day.
	for at := now; at < now+60*day; at += 13 * hour {
		if at < now+40*day {
			attack(at, 3)
		} else {
			at += 4 * day
			for _, s := range all {
				h.List(bkjob.Query{Scope: s, CreateTimeStart: at - day, CreateTimeEnd: at, Length: 10}, at)
			}
		}
		for _, s := range all {
			days := history.CachedDays(h, s)
			require.NotEmpty(t, days)
			require.GreaterOrEqual(t, days[0], at-retention.Milliseconds()-2*day, "%v at %d", s, at)
			require.LessOrEqual(t, days[len(days)-1], at, "%v at %d", s, at)
		}
	}
	held := float64(heap()) - float64(before)
	runtime.KeepAlive(h)
	t.Logf("held %.1f MB, bound %.1f MB, MaxBytes %.1f MB", held/1e6, bound/1e6, float64(h.MaxBytes())/1e6)
	assert.Less(t, held, bound+4<<20, "heap over the documented bound")
	assert.GreaterOrEqual(t, float64(h.MaxBytes()), bound, "MaxBytes reports at least the documented bound")
	st := h.Stats()
	assert.Positive(t, st.Tasks)
	assert.LessOrEqual(t, st.Days, maxDays*len(all))
	assert.LessOrEqual(t, float64(st.Bytes), held, "Stats counts the records the heap holds")
}
