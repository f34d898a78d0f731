package mock_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

// threeTasks is a recorded biz:3: two tasks in one millisecond, one running.
func threeTasks(t *testing.T, newest time.Time) *recorded.Source {
	t.Helper()
	n := newest.UnixMilli()
	line := func(id, create int64, status int, extra string) string {
		return `{"job_instance_id":` + itoa(id) + `,"bk_scope_type":"biz","bk_scope_id":"3","job_template_id":-1,"job_plan_id":-1,"job_cron_id":0,` +
			`"name":"快速执行脚本_` + itoa(id) + `","operator":"lisi","launch_mode":1,"status":` + itoa(int64(status)) + `,"type":1,"create_time":` + itoa(create) + extra + `,"hosts":["10.9.9.9"]}` + "\n"
	}
	jsonl := line(30000000002, n-60_000, 3, `,"start_time":`+itoa(n-59_000)+`,"end_time":`+itoa(n)+`,"total_time":59000`) +
		line(30000000001, n-60_000, 2, `,"start_time":`+itoa(n-59_500)+`,"total_time":1`) +
		line(30000000000, n-3_600_000, 1, "")
	src, err := recorded.Read(strings.NewReader(jsonl), bkjob.Scope{Type: "biz", ID: "3"}, "biz3.jsonl")
	require.NoError(t, err)
	return src
}

// A recorded scope answers from its file through the whole stack: order,
// live total_time, filters, and the permission rules of the fixtures; the
// other scopes keep their generated history.
func TestRecordedScope(t *testing.T) {
	t.Parallel()
	src := threeTasks(t, pinnedNow.Add(-24*time.Hour))
	srv := newServer(t, func(c *mock.Config) { c.Recorded = []*recorded.Source{src} })
	biz3 := "bk_scope_type=biz&bk_scope_id=3&" + window
	items := list(t, get(t, srv, biz3, adminAuth))
	var ids []any
	for _, it := range items {
		ids = append(ids, it["job_instance_id"])
	}
	assert.Equal(t, []any{30000000001.0, 30000000002.0, 30000000000.0}, ids, "create_time desc, then id asc")
	assert.EqualValues(t, float64(pinnedNow.UnixMilli())-items[0]["start_time"].(float64), items[0]["total_time"], "live total_time")
	assert.NotContains(t, items[2], "start_time")

	assert.Len(t, list(t, get(t, srv, biz3+"&status=3", adminAuth)), 1)
	assert.Len(t, list(t, get(t, srv, biz3+"&ip=10.9.9.9&offset=2", adminAuth)), 1)
	assert.Empty(t, list(t, get(t, srv, biz3+"&name=nope", adminAuth)))
	assert.Equal(t, http.StatusForbidden, get(t, srv, biz3, zhangsanAuth).status, "zhangsan may not read biz:3")
	assert.Len(t, list(t, get(t, srv, "bk_scope_type=biz&bk_scope_id=2&"+window, adminAuth)), 10, "biz:2 is generated")

	// Shifted, the newest time sits at now.
	shifted := newServer(t, func(c *mock.Config) { c.Recorded = []*recorded.Source{src}; c.RecordedShift = true })
	items = list(t, get(t, shifted, biz3, adminAuth))
	require.Len(t, items, 3)
	assert.EqualValues(t, pinnedNow.UnixMilli(), items[1]["end_time"])
}

// A recorded scope the fixtures do not define is refused, at New and at a
// reload, which then keeps the old fixtures.
func TestRecordedScopeMustBeInFixtures(t *testing.T) {
	t.Parallel()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	src := threeTasks(t, pinnedNow)
	_, err = mock.New(mock.Config{Fixtures: fx, Seed: 1, Recorded: []*recorded.Source{src, src}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "scope biz:3 is recorded twice")

	srv, err := mock.New(mock.Config{Fixtures: fx, Seed: 1, Recorded: []*recorded.Source{src}})
	require.NoError(t, err)
	only2, err := fixtures.Parse("only2.yaml", []byte("scopes:\n  - scope: biz:2\n    name: a\n"))
	require.NoError(t, err)
	err = srv.Reload(only2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "recorded scope biz:3 (biz3.jsonl) is not a scope of the fixtures only2.yaml")
	require.Len(t, srv.Recorded(), 1, "still served")
	assert.Equal(t, 3, srv.Recorded()[0].Len())
}
