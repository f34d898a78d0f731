package mock_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scenarioLists reads GET /__mock/scenarios: source → hidden_by of every
// activation and rule.
func scenarioLists(t *testing.T, body []byte) map[string][]string {
	t.Helper()
	var v struct {
		Active []struct {
			ID       int      `json:"id"`
			HiddenBy []string `json:"hidden_by"`
		} `json:"active"`
		Rules []struct {
			Source   string   `json:"source"`
			HiddenBy []string `json:"hidden_by"`
		} `json:"rules"`
	}
	require.NoError(t, json.Unmarshal(body, &v), "%s", body)
	out := map[string][]string{}
	for _, a := range v.Active {
		out["admin:"+strconv.Itoa(a.ID)] = a.HiddenBy
	}
	for _, r := range v.Rules {
		out[r.Source] = r.HiddenBy
	}
	return out
}

// An activation or rule that a newer one (or one of higher precedence)
// hides on every request it matches says so, and names the winners; the
// journal agrees: the hidden one is never applied.
func TestHiddenActivations(t *testing.T) {
	t.Parallel()
	fx := withRules(t, `
  - scenario: empty
    scope: biz:2
  - scenario: gateway-timeout
    scope: biz:2
    params: {status: 4}
  - scenario: latency:10ms
`)
	first := ruleLine(t) + 1
	rule := func(i int) string { return "fixtures:" + strconv.Itoa(first+2*i) } // the first two
	latencyRule := "fixtures:" + strconv.Itoa(first+5)
	srv := serverWith(t, fx)
	lists := func() map[string][]string {
		a := do(t, srv, http.MethodGet, "/__mock/scenarios", "", nil)
		require.Equal(t, http.StatusOK, a.status)
		return scenarioLists(t, a.body)
	}
	assert.Equal(t, map[string][]string{rule(0): nil, rule(1): {rule(0)}, latencyRule: nil}, lists(),
		"an earlier rule for the same scope and slot hides a narrower one")

	// A user-scoped no-permission, then a global rate-limited: the older is hidden.
	older := switchOn(t, srv, map[string]any{"scenario": "no-permission", "user": "zhangsan", "scope": "biz:2"})
	newer := switchOn(t, srv, map[string]any{"scenario": "rate-limited"})
	src := func(id int) string { return "admin:" + strconv.Itoa(id) }
	got := lists()
	assert.Equal(t, []string{src(newer)}, got[src(older)])
	assert.Nil(t, got[src(newer)])
	assert.Equal(t, []string{src(newer)}, got[rule(0)], "admin wins over the rules")
	assert.Nil(t, got[latencyRule], "another slot: not hidden")
	a := get(t, srv, biz2, zhangsanAuth)
	assert.Equal(t, http.StatusTooManyRequests, a.status, "%s", a.body)
	assert.Equal(t, []scenarioUse{{"rate-limited:stage", src(newer)}, {"latency:10ms", latencyRule}}, journalEntries(t, srv, "limit=1")[0].Scenarios)

	// Newer ones that match fewer requests, or take other slots, hide nothing.
	narrow := switchOn(t, srv, map[string]any{"scenario": "internal-error", "scope": "biz:3"})
	delay := switchOn(t, srv, map[string]any{"scenario": "latency:1s", "user": "zhangsan"})
	got = lists()
	assert.Nil(t, got[src(narrow)])
	assert.Nil(t, got[src(delay)])
	assert.Equal(t, []string{src(newer)}, got[src(older)])
	assert.Nil(t, got[latencyRule], "the latency activation is zhangsan's only")

	// Together, two newer activations can take every slot of an older one;
	// none takes every slot still free.
	both := switchOn(t, srv, map[string]any{"scenario": "gateway-timeout, latency:2s"})
	answer := switchOn(t, srv, map[string]any{"scenario": "empty"})
	assert.Nil(t, lists()[src(both)], "its delay still acts")
	slow := switchOn(t, srv, map[string]any{"scenario": "latency:3s"})
	got = lists()
	assert.Equal(t, []string{src(slow), src(answer)}, got[src(both)])
	assert.Equal(t, []string{src(slow)}, got[latencyRule])
	none := switchOn(t, srv, map[string]any{"scenario": "none"})
	got = lists()
	for _, id := range []int{older, newer, narrow, delay, both, answer, slow} {
		assert.Equal(t, []string{src(none)}, got[src(id)], "none hides admin:%d", id)
	}
	assert.Nil(t, got[src(none)])
}

// GET /__mock/requests/{id}/har is that one entry as HAR; the journal entry
// carries the mock's clock beside the wall clock.
func TestJournalEntryHARAndMockTime(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	get(t, srv, biz2+"&name=first", adminAuth)
	get(t, srv, biz2+"&name=second", adminAuth, "X-Mock-Scenario", "no-permission")
	get(t, srv, biz2+"&name=third", adminAuth)
	entries := journalEntries(t, srv, "")
	require.Len(t, entries, 3)
	second := entries[1]
	a := do(t, srv, http.MethodGet, "/__mock/requests/"+strconv.FormatUint(second.ID, 10)+"/har", "", nil)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Contains(t, a.header.Get("Content-Disposition"), `bkjob-mock-`+strconv.FormatUint(second.ID, 10)+`.har`)
	var h struct {
		Log struct {
			Entries []struct {
				ID       uint64 `json:"_id"`
				Response struct {
					Status int `json:"status"`
				} `json:"response"`
			} `json:"entries"`
		} `json:"log"`
	}
	require.NoError(t, json.Unmarshal(a.body, &h))
	require.Len(t, h.Log.Entries, 1)
	assert.Equal(t, second.ID, h.Log.Entries[0].ID)
	assert.Equal(t, 403, h.Log.Entries[0].Response.Status)
	assert.Equal(t, 404, do(t, srv, http.MethodGet, "/__mock/requests/999/har", "", nil).status)

	a = do(t, srv, http.MethodGet, "/__mock/requests/"+strconv.FormatUint(second.ID, 10), "", nil)
	var times struct {
		Time     time.Time `json:"time"`
		MockTime time.Time `json:"mock_time"`
	}
	require.NoError(t, json.Unmarshal(a.body, &times))
	assert.True(t, pinnedNow.Equal(times.MockTime), "mock_time %v", times.MockTime)
	assert.False(t, times.Time.Equal(times.MockTime), "time is the wall clock")
}

// GET /__mock/data/histogram counts the tasks the API lists, per hour and status.
func TestDataHistogram(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	from := pinnedNow.Add(-3*time.Hour - 20*time.Minute)
	q := "bk_scope_type=biz&bk_scope_id=2&create_time_start=" + ms(from) + "&create_time_end=" + ms(pinnedNow)
	a := do(t, srv, http.MethodGet, "/__mock/data/histogram", q, nil)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var h struct {
		Scope    string `json:"scope"`
		Total    int    `json:"total"`
		BucketMS int64  `json:"bucket_ms"`
		Buckets  []struct {
			Start    int64          `json:"start"`
			Total    int            `json:"total"`
			ByStatus map[string]int `json:"by_status"`
		} `json:"buckets"`
	}
	require.NoError(t, json.Unmarshal(a.body, &h))
	assert.Equal(t, "biz:2", h.Scope)
	require.Len(t, h.Buckets, 5, "06:40 to 10:00 (+08:00): the hours of 06:00, 07:00, 08:00, 09:00 and 10:00")

	// The API's answer, page by page, counted the same way.
	want := map[int64]map[string]int{}
	total := 0
	for offset := 0; ; offset += 200 {
		items := list(t, get(t, srv, q+"&length=200&offset="+strconv.Itoa(offset), adminAuth))
		for _, it := range items {
			hour := num(it["create_time"]) - num(it["create_time"])%h.BucketMS
			if want[hour] == nil {
				want[hour] = map[string]int{}
			}
			want[hour][strconv.FormatInt(num(it["status"]), 10)]++
			total++
		}
		if len(items) < 200 {
			break
		}
	}
	require.Greater(t, total, 200, "more than one page")
	assert.Equal(t, total, h.Total)
	for _, b := range h.Buckets {
		sum := 0
		for _, n := range b.ByStatus {
			sum += n
		}
		assert.Equal(t, b.Total, sum)
		if len(b.ByStatus) > 0 || want[b.Start] != nil {
			assert.Equal(t, want[b.Start], b.ByStatus, "hour %s", time.UnixMilli(b.Start).UTC())
		}
	}

	for _, tt := range []struct {
		query  string
		status int
	}{
		{"bk_scope_type=biz&bk_scope_id=999", 404},
		{"create_time_start=soon", 400},
		{"create_time_start=" + ms(pinnedNow) + "&create_time_end=" + ms(from), 400},
	} {
		a := do(t, srv, http.MethodGet, "/__mock/data/histogram", tt.query, nil)
		assert.Equal(t, tt.status, a.status, "%s: %s", tt.query, a.body)
		assert.Contains(t, string(a.body), `"mock_error"`)
	}
	// The default is the first scope's whole window: 30 days, 721 hours at most.
	a = do(t, srv, http.MethodGet, "/__mock/data/histogram", "create_time_start=0", nil)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	require.NoError(t, json.Unmarshal(a.body, &h))
	assert.Equal(t, "biz:2", h.Scope)
	assert.LessOrEqual(t, len(h.Buckets), 721)
	assert.Greater(t, h.Total, 100000)
}
