package history_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// TestListHosts: a page's instances have the hosts Each gives them, and
// each one's Hosts is its own (a page shares the arrays behind them).
func TestListHosts(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 1})
	q := query(biz2)
	q.Length = 200
	page := h.List(q, now)
	require.Len(t, page, 200)
	want := map[int64][]string{}
	h.Each(biz2, q.CreateTimeStart, q.CreateTimeEnd, now, func(j bkjob.JobInstance) bool {
		want[j.ID] = j.Hosts
		return len(want) < 200
	})
	before := make([][]string, len(page))
	for i, j := range page {
		require.NotEmpty(t, j.Hosts, j.ID)
		assert.Equal(t, want[j.ID], j.Hosts, j.ID)
		before[i] = slices.Clone(j.Hosts)
	}
	for i := range page {
		page[i].Hosts = append(page[i].Hosts, "appended")
	}
	for i := range page {
		assert.Equal(t, append(before[i], "appended"), page[i].Hosts, "appending to one never changes another")
	}
}
