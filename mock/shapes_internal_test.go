package mock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
)

// Made-up tasks of a full page get ids of their own minute, as the history
// lays ids out at that scale, so they decode back to it like real ones.
func TestMadeUpIDsDecodeToTheirMinute(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC).UnixMilli()
	for _, scale := range []float64{1, 10, 100, 1000} {
		fx, err := fixtures.Default()
		require.NoError(t, err)
		srv, err := New(Config{Fixtures: fx, Seed: 1, Scale: scale})
		require.NoError(t, err)
		g := srv.gen.Load()
		sc, merr := parseScenario("full-page")
		require.Nil(t, merr)
		// An hour of biz 100 at night holds far fewer than 200 tasks: most are made up.
		q := bkjob.Query{Scope: bkjob.Scope{Type: "biz", ID: "100"}, CreateTimeStart: now - 3600_000, CreateTimeEnd: now, Length: 10}
		items, err := g.shape(context.Background(), &sc, q, now, 1)
		require.NoError(t, err)
		require.Len(t, items, maxLength)
		seen := map[int64]bool{}
		for _, it := range items {
			minute, ok := g.history.MinuteOf(it.ID)
			require.True(t, ok, "scale %v: id %d", scale, it.ID)
			assert.Equal(t, it.CreateTime/60000*60000, minute, "scale %v: id %d created %d", scale, it.ID, it.CreateTime)
			assert.False(t, seen[it.ID], "scale %v: id %d twice", scale, it.ID)
			seen[it.ID] = true
		}
	}
}
