package history_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// noMatch reads every day of 30: script tasks are never launched by cron.
func noMatch(scope bkjob.Scope) bkjob.Query {
	return bkjob.Query{Scope: scope, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10,
		Type: ptr(bkjob.TypeScript), LaunchMode: ptr(bkjob.LaunchCron)}
}

// A query whose days are not generated yet answers a *BudgetError once its
// budget is spent; the days go on generating, so the same query later finds
// them (generated once, not again) and answers what an unhurried history
// answers.
func TestBudget(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	// At scale 20 a day of biz 2 is about 115,000 tasks: far more than
	// a nanosecond's work.
	opt := history.Options{Seed: 5, Scale: 20, Budget: time.Nanosecond}
	h := history.New(fx, opt)
	q := noMatch(biz2)
	q.Type, q.LaunchMode = nil, nil
	q.Operator = "nobody-at-all" // compiles to no operator: answered without reading
	got, err := h.ListContext(context.Background(), q, now)
	require.NoError(t, err, "a query that can match nothing reads no day")
	assert.Empty(t, got)

	q = noMatch(biz2)
	got, err = h.ListContext(context.Background(), q, now)
	var be *history.BudgetError
	require.ErrorAs(t, err, &be)
	assert.Empty(t, got)
	assert.Equal(t, time.Nanosecond, be.Budget)
	assert.EqualValues(t, 31, be.Days, "30 days and the part of one more")
	assert.Less(t, be.Read, be.Days)
	assert.Contains(t, err.Error(), "more than its budget of 1ns")

	// An id of a day not generated yet: the same bound.
	first, _ := h.IDRange(now - 20*day)
	_, err = h.ListContext(context.Background(), bkjob.Query{Scope: biz2, JobInstanceID: first, Length: 10}, now)
	require.ErrorAs(t, err, &be)
	assert.EqualValues(t, 1, be.Days)

	// Over budget, the query started every day it needs; unbounded, the
	// same query waits for them, and they are generated once.
	assert.Len(t, history.CachedDays(h, biz2), 31)
	assert.Empty(t, h.List(q, now))
	assert.EqualValues(t, 31, history.GeneratedDays(h), "each day generated once")
	q.Type = ptr(bkjob.TypePlan)
	want := history.New(fx, history.Options{Seed: 5, Scale: 20}).List(q, now)
	require.Len(t, want, 10)
	assert.Equal(t, want, h.List(q, now))
}

// Concurrent queries over days nobody has read share one generation of each.
func TestSharedGeneration(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 5, Scale: 2, Budget: time.Minute})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			got, err := h.ListContext(context.Background(), noMatch(biz2), now)
			assert.NoError(t, err)
			assert.Empty(t, got)
		})
	}
	wg.Wait()
	assert.Len(t, history.CachedDays(h, biz2), 31)
	assert.EqualValues(t, 31, history.GeneratedDays(h), "31 days, each generated once for 16 queries")

	// Warm, a no-match passes over every day by its summary: same answer.
	got, err := h.ListContext(context.Background(), noMatch(biz2), now)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// A query whose context ends while it waits for a day returns at once.
func TestListContextCancel(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 5, Scale: 20})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.ListContext(ctx, noMatch(biz2), now)
	require.ErrorIs(t, err, context.Canceled)
	err = h.EachContext(ctx, biz2, now-30*day, now, now, func(bkjob.JobInstance) bool { return true })
	require.ErrorIs(t, err, context.Canceled)
}
