package mock_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/mock"
)

// A query that cannot be answered within --query-budget gets the gateway's
// 504, marked as the mock's bound; the day it needed goes on generating, so
// the same query is answered once it is there, as without a bound.
func TestQueryBudget(t *testing.T) {
	t.Parallel()
	// At scale 20 a day of biz 2 is about 115,000 tasks: far more than a
	// nanosecond's work. Past its first day, a query's budget is spent.
	bounded := newServer(t, func(c *mock.Config) { c.Scale = 20; c.QueryBudget = time.Nanosecond })
	unbounded := newServer(t, func(c *mock.Config) { c.Scale = 20 })
	page := "bk_scope_type=biz&bk_scope_id=2&" + window

	a := get(t, bounded, page, adminAuth)
	require.Equal(t, http.StatusGatewayTimeout, a.status, "%s", a.body)
	assert.Equal(t, "query-budget", a.header.Get("X-Mock-Error"))
	assert.Equal(t, "1650401", a.header.Get("X-Bkapi-Error-Code"))
	assert.Equal(t, "REQUEST_BACKEND_TIMEOUT", a.json(t)["code_name"])

	want := get(t, unbounded, page, adminAuth)
	require.Equal(t, http.StatusOK, want.status)
	require.Eventually(t, func() bool {
		a = get(t, bounded, page, adminAuth)
		return a.status == http.StatusOK
	}, time.Minute, 20*time.Millisecond, "the newest day, generated in the background, answers")
	assert.Equal(t, want.json(t)["data"], a.json(t)["data"])

	// A no-match reads all 31 days: past the first, over budget.
	a = get(t, bounded, page+"&type=1&launch_mode=3", adminAuth)
	assert.Equal(t, http.StatusGatewayTimeout, a.status, "%s", a.body)
	assert.Equal(t, "query-budget", a.header.Get("X-Mock-Error"))

	// The admin page's histogram: the same bound, in the admin format.
	h := do(t, bounded, http.MethodGet, "/__mock/data/histogram", "scope=biz:2", nil)
	assert.Equal(t, http.StatusGatewayTimeout, h.status, "%s", h.body)
	e, _ := h.json(t)["mock_error"].(map[string]any)
	assert.Equal(t, "QUERY_BUDGET", e["code"], "%s", h.body)
	assert.Contains(t, e["message"], "more than its budget of 1ns")
}
