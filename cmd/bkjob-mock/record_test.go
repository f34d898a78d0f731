package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

// recordNow is the pinned clock of the mocks recorded from.
var recordNow = time.Date(2026, 3, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

const recordAuth = `{"bk_app_code":"demo","bk_app_secret":"s3cr3t","bk_username":"admin"}`

// recordMock starts a mock of the default fixtures at recordNow.
func recordMock(t *testing.T, modify ...func(*mock.Config)) *httptest.Server {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	cfg := mock.Config{Fixtures: fx, Seed: 3, Now: func() time.Time { return recordNow }}
	for _, m := range modify {
		m(&cfg)
	}
	h, err := mock.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func msOf(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// recordArgs are the arguments of a recording of biz:2 over [from, to].
func recordArgs(base string, from, to time.Time, extra ...string) []string {
	return append([]string{"record", "--base-url", base, "--auth", recordAuth, "--scope", "biz:2",
		"--from", msOf(from), "--to", msOf(to), "--rate", "0"}, extra...)
}

// withoutWhatTheAPIHides is a dump as record can see it: no hosts, no cron job.
func withoutWhatTheAPIHides(t *testing.T, dump string) string {
	t.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	for _, line := range strings.SplitAfter(strings.TrimSuffix(dump, "\n"), "\n") {
		var r recorded.Record
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		r.Hosts, r.CronID = []string{}, 0
		require.NoError(t, enc.Encode(r))
	}
	return out.String()
}

// What record writes from a mock is what dump prints of the same history,
// but for what the API does not say (hosts, job_cron_id), line for line.
func TestRecordMatchesDump(t *testing.T) {
	t.Parallel()
	srv := recordMock(t)
	from, to := recordNow.Add(-26*time.Hour), recordNow.Add(-time.Hour)
	rec := runCLI(t, nil, recordArgs(srv.URL, from, to)...)
	require.Equal(t, 0, rec.code, rec.stderr)
	dump := runCLI(t, nil, "dump", "--scope", "biz:2", "--seed", "3", "--now", msOf(recordNow), "--from", msOf(from), "--to", msOf(to))
	require.Equal(t, 0, dump.code, dump.stderr)
	n := strings.Count(dump.stdout, "\n")
	require.Greater(t, n, 2000, "a busy day")
	assert.Equal(t, withoutWhatTheAPIHides(t, dump.stdout), rec.stdout)
	assert.Contains(t, rec.stderr, "record: "+strconv.Itoa(n)+" tasks of biz:2 in ")
}

// Stopped by --max-requests, record says how to go on; --resume goes on from
// the oldest task written, drops a cut last line, and ends with the same file
// as one uninterrupted run.
func TestRecordResume(t *testing.T) {
	t.Parallel()
	srv := recordMock(t)
	from, to := recordNow.Add(-6*time.Hour), recordNow
	whole := runCLI(t, nil, recordArgs(srv.URL, from, to, "--length", "50")...)
	require.Equal(t, 0, whole.code, whole.stderr)

	file := filepath.Join(t.TempDir(), "tasks.jsonl")
	first := runCLI(t, nil, recordArgs(srv.URL, from, to, "--length", "50", "--max-requests", "3", "--resume", file)...)
	assert.Equal(t, 1, first.code)
	assert.Contains(t, first.stderr, "stopped at --max-requests; not finished: to go on from the oldest task written, run the same command again")
	assert.Contains(t, first.stderr, "150 tasks of biz:2 in 3 requests")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, whole.stdout[:len(got)], string(got), "the start of the whole")

	// An interruption in the middle of a line.
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"job_instance_id":1234,"bk_sco`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	second := runCLI(t, nil, recordArgs(srv.URL, from, to, "--length", "50", "--resume", file)...)
	require.Equal(t, 0, second.code, second.stderr)
	assert.Contains(t, second.stderr, "dropping an incomplete last line (31 bytes)")
	assert.Contains(t, second.stderr, "holds 150 tasks; going on from")
	got, err = os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, whole.stdout, string(got))

	// Once finished, a resume asks once and adds nothing.
	third := runCLI(t, nil, recordArgs(srv.URL, from, to, "--length", "50", "--resume", file)...)
	require.Equal(t, 0, third.code, third.stderr)
	assert.Contains(t, third.stderr, "0 tasks of biz:2 in 1 requests")
	again, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, got, again)
}

// Tasks created in the same millisecond straddle page boundaries: the offset
// skips those written, and each task is written once, in the API's order.
func TestRecordTies(t *testing.T) {
	t.Parallel()
	var lines strings.Builder
	at := recordNow.Add(-time.Hour).UnixMilli()
	for i := range 9 {
		create := at
		if i >= 7 {
			create = at - int64(i)*1000
		}
		lines.WriteString(`{"job_instance_id":` + strconv.Itoa(40000000000+i) + `,"bk_scope_type":"biz","bk_scope_id":"2","job_template_id":-1,"job_plan_id":-1,"job_cron_id":0,"name":"n","operator":"admin","launch_mode":3,"status":1,"type":1,"create_time":` + strconv.FormatInt(create, 10) + `,"hosts":[]}` + "\n")
	}
	src, err := recorded.Read(strings.NewReader(lines.String()), bkjobScope("biz:2"), "ties")
	require.NoError(t, err)
	srv := recordMock(t, func(c *mock.Config) { c.Recorded = []*recorded.Source{src} })
	rec := runCLI(t, nil, recordArgs(srv.URL, recordNow.Add(-2*time.Hour), recordNow, "--length", "2")...)
	require.Equal(t, 0, rec.code, rec.stderr)
	var ids []int64
	for _, m := range jsonLines(t, rec.stdout) {
		id := int64(m["job_instance_id"].(float64))
		ids = append(ids, id)
	}
	assert.Equal(t, []int64{40000000000, 40000000001, 40000000002, 40000000003, 40000000004, 40000000005, 40000000006, 40000000007, 40000000008}, ids)
	assert.Contains(t, rec.stderr, "9 tasks of biz:2 in 5 requests")
}

// Errors the server answers stop the recording with what it said; 429 and
// 5xx of a gateway are retried after the pause it asks for.
func TestRecordServerErrors(t *testing.T) {
	t.Parallel()
	srv := recordMock(t)
	window := []string{"--from", msOf(recordNow.Add(-time.Hour)), "--to", msOf(recordNow), "--rate", "0"}
	r := runCLI(t, nil, append([]string{"record", "--base-url", srv.URL, "--scope", "biz:3",
		"--auth", `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"zhangsan"}`}, window...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "bkjob-mock record: HTTP 403: NO_PERMISSION 用户(zhangsan)权限不足")
	assert.NotContains(t, r.stderr, "not finished")

	r = runCLI(t, nil, append([]string{"record", "--base-url", srv.URL, "--scope", "biz:2", "--auth", `{"bk_app_code":"demo"}`}, window...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "HTTP 400: INVALID_ARGS Parameters error [reason=\"please provide bk_app_secret or bk_signature to verify app\"]")

	// A gateway that is busy twice, then answers.
	var calls atomic.Int32
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("X-Bkapi-Error-Code", "1642902")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		srv.Config.Handler.ServeHTTP(w, req)
	}))
	t.Cleanup(busy.Close)
	r = runCLI(t, nil, recordArgs(busy.URL, recordNow.Add(-time.Hour), recordNow)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 2, strings.Count(r.stderr, "HTTP 429: gateway error 1642902 ; retrying in 0s"), r.stderr)
	assert.NotEmpty(t, r.stdout)

	// One that stays down: five retries, then a resumable stop.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	r = runCLI(t, nil, recordArgs(down.URL, recordNow.Add(-time.Hour), recordNow)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the server kept answering with errors: HTTP 502; not finished")
	assert.Contains(t, r.stderr, "0 tasks of biz:2 in 6 requests")

	// Not the API at all.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Write([]byte(`{"data":{"job_instance_list":[{"job_instance_id":5,"bk_scope_type":"biz","bk_scope_id":"2","status":12,"type":0,"launch_mode":1,"create_time":1}]}}`))
	}))
	t.Cleanup(other.Close)
	r = runCLI(t, nil, recordArgs(other.URL, recordNow.Add(-time.Hour), recordNow)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "task 0 of the page: task 5: status 12 is not a status of the API")
}

func TestRecordUsage(t *testing.T) {
	t.Parallel()
	base := []string{"record", "--base-url", "http://127.0.0.1:1", "--auth", recordAuth, "--scope", "biz:2"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"record", "--auth", recordAuth, "--scope", "biz:2"}, "--base-url is required"},
		{[]string{"record", "--base-url", "http://x", "--scope", "biz:2"}, "--auth is required (or BKJOB_RECORD_AUTH)"},
		{[]string{"record", "--base-url", "http://x", "--auth", recordAuth}, "--scope is required"},
		{[]string{"record", "--base-url", "http://x", "--auth", recordAuth, "--scope", "biz"}, "scope must look like TYPE:ID"},
		{[]string{"record", "--base-url", "ftp://x", "--auth", recordAuth, "--scope", "biz:2"}, "--base-url must be http(s)://host"},
		{[]string{"record", "--base-url", "http://x", "--auth", "[1]", "--scope", "biz:2"}, "--auth must be a JSON object"},
		{append(base, "--length", "201"), "--length must be 1 to 200"},
		{append(base, "--max-requests", "0"), "--max-requests must be at least 1"},
		{append(base, "--rate", "-1"), "--rate must not be negative"},
		{append(base, "--from", "2026-03-04T10:00:00Z", "--to", "2026-03-03T10:00:00Z"), "--from 2026-03-04T10:00:00Z is after --to"},
		{append(base, "--to", "yesterday"), "neither RFC3339"},
		{append(base, "extra"), `unexpected argument "extra"`},
	}
	for _, c := range cases {
		r := runCLI(t, nil, c.args...)
		assert.Equal(t, 2, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, c.args)
		assert.Contains(t, r.stderr, "Run 'bkjob-mock record --help' for usage.")
	}
	// A resume file of another scope is refused before any request.
	file := filepath.Join(t.TempDir(), "biz3.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(`{"job_instance_id":9,"bk_scope_type":"biz","bk_scope_id":"3","job_template_id":-1,"job_plan_id":-1,"job_cron_id":0,"name":"n","operator":"a","launch_mode":1,"status":1,"type":1,"create_time":5,"hosts":[]}`+"\n"), 0o644))
	r := runCLI(t, nil, append(base, "--resume", file)...)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "task 9 is of scope biz:3, not biz:2")

	// The secret may come from the environment.
	r = runCLI(t, map[string]string{"BKJOB_RECORD_AUTH": "[1]"}, "record", "--base-url", "http://x", "--scope", "biz:2")
	assert.Contains(t, r.stderr, "--auth must be a JSON object")

	help := runCLI(t, nil, "record", "--help")
	assert.Equal(t, 0, help.code)
	assert.Contains(t, help.stdout, "Usage: bkjob-mock record --base-url URL --auth JSON --scope TYPE:ID")
}

func bkjobScope(s string) bkjob.Scope {
	sc, err := bkjob.ParseScope(s)
	if err != nil {
		panic(err)
	}
	return sc
}
