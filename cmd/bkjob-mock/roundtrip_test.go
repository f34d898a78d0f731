package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/contract"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

// serveCLI runs "bkjob-mock serve" with args until the test ends and returns
// its URL and what it printed at start.
func serveCLI(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "off"}, args...), func(string) string { return "" }, &stdout, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-done })
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	require.Eventually(t, func() bool {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			return true
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited with %d: %s", code, stderr.String())
		default:
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)
	return base, &stdout
}

// fetchBody answers one API request with auth.
func fetchBody(t *testing.T, base, path, query, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path+"?"+query, nil)
	require.NoError(t, err)
	req.Header.Set("X-Bkapi-Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func roundTripContract(base string, from, to time.Time) contract.Config {
	return contract.Config{
		BaseURL:        base,
		Auth:           `{"bk_app_code":"demo","bk_app_secret":"s3cr3t","bk_username":"zhangsan"}`,
		Scope:          bkjob.Scope{Type: "biz", ID: "2"},
		ForbiddenScope: bkjob.Scope{Type: "biz", ID: "3"},
		MissingScope:   bkjob.Scope{Type: "biz", ID: "999"},
		System:         true,
		From:           from,
		To:             to,
	}
}

func runContractSuite(t *testing.T, cfg contract.Config) map[string]contract.CheckResult {
	t.Helper()
	res, err := contract.Run(context.Background(), cfg, &contract.TextReporter{W: io.Discard})
	require.NoError(t, err)
	out := map[string]contract.CheckResult{}
	for _, c := range res.Checks {
		out[c.Name] = c
		assert.NotEqual(t, contract.Fail, c.Status, "%s: %s\n%s", c.Name, c.Reason, c.Curl)
	}
	return out
}

// Record from a running mock, serve the file: the same queries get the same
// bytes (ip aside: the API says nothing of hosts), and the contract suite
// finds what it finds against the generated history.
func TestRecordedRoundTrip(t *testing.T) {
	t.Parallel()
	gen := recordMock(t)
	from, to := recordNow.Add(-3*24*time.Hour), recordNow
	file := filepath.Join(t.TempDir(), "biz2.jsonl")
	rec := runCLI(t, nil, recordArgs(gen.URL, from, to, "--resume", file)...)
	require.Equal(t, 0, rec.code, rec.stderr)
	src, err := recorded.Load(file, bkjobScope("biz:2"))
	require.NoError(t, err)

	served, banner := serveCLI(t, "--seed", "3", "--now", msOf(recordNow), "--recorded", "biz:2="+file)
	assert.Contains(t, banner.String(), "recorded biz:2: "+strconv.Itoa(src.Len())+" tasks from "+file+"\n")

	w := func(a, b time.Time) string {
		return "bk_scope_type=biz&bk_scope_id=2&create_time_start=" + msOf(a) + "&create_time_end=" + msOf(b)
	}
	day := w(recordNow.Add(-24*time.Hour), recordNow)
	all := w(from, to)
	var some struct {
		Data struct {
			List []struct {
				ID int64 `json:"job_instance_id"`
			} `json:"job_instance_list"`
		} `json:"data"`
	}
	_, body := fetchBody(t, gen.URL, bkjob.UserAPIPath, day+"&offset=77&length=1", recordAuth)
	require.NoError(t, json.Unmarshal([]byte(body), &some))
	require.Len(t, some.Data.List, 1)
	id := strconv.FormatInt(some.Data.List[0].ID, 10)

	queries := []string{
		day, all + "&length=200", all + "&offset=10000&length=200", day + "&offset=37&length=13",
		day + "&operator=ZHANGSAN", day + "&name=web", day + "&name=快速_", day + "&name=%25集群", day + "&name=nothing",
		day + "&status=3", day + "&status=2", day + "&type=0&launch_mode=3", day + "&launch_mode=2&length=200",
		day + "&job_cron_id=0", all + "&job_instance_id=" + id, day + "&job_instance_id=" + id + "&operator=nobody",
		w(recordNow.Add(-time.Hour), recordNow.Add(-2*time.Hour)), // inverted
		w(recordNow.Add(-90*time.Minute), recordNow.Add(-89*time.Minute)) + "&length=200",
		day + "&status=12", day + "&length=0", "bk_scope_type=biz&bk_scope_id=3&" + day[len("bk_scope_type=biz&bk_scope_id=2&"):],
	}
	for _, q := range queries {
		for _, path := range []string{bkjob.UserAPIPath, bkjob.SystemAPIPath} {
			wantCode, want := fetchBody(t, gen.URL, path, q, recordAuth)
			gotCode, got := fetchBody(t, served, path, q, recordAuth)
			assert.Equal(t, wantCode, gotCode, q)
			assert.Equal(t, want, got, "%s?%s", path, q)
		}
	}
	_, withIP := fetchBody(t, gen.URL, bkjob.UserAPIPath, day+"&ip=10.0.2.11", recordAuth)
	assert.Contains(t, withIP, `"job_instance_id"`, "the generated history knows hosts")
	_, withIP = fetchBody(t, served, bkjob.UserAPIPath, day+"&ip=10.0.2.11", recordAuth)
	assert.Contains(t, withIP, `"job_instance_list":[]`, "a recording does not")

	// The contract suite: the same verdicts as against the generated history.
	cfrom, cto := recordNow.Add(-2*24*time.Hour), recordNow.Add(-time.Minute)
	want := runContractSuite(t, roundTripContract(gen.URL, cfrom, cto))
	got := runContractSuite(t, roundTripContract(served, cfrom, cto))
	require.Len(t, got, len(want))
	for name, c := range want {
		assert.Equal(t, c.Status, got[name].Status, "%s: %s", name, got[name].Reason)
	}
}

// Shifted to a later now, the recording is served as if it had just been
// made: the suite passes over the window it reads from the Date header, and
// a shifted window finds the same tasks.
func TestRecordedShiftedRoundTrip(t *testing.T) {
	t.Parallel()
	gen := recordMock(t)
	from, to := recordNow.Add(-2*24*time.Hour), recordNow
	rec := runCLI(t, nil, recordArgs(gen.URL, from, to)...)
	require.Equal(t, 0, rec.code, rec.stderr)
	file := filepath.Join(t.TempDir(), "biz2.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(rec.stdout), 0o644))

	later := recordNow.Add(45 * 24 * time.Hour)
	served, banner := serveCLI(t, "--seed", "3", "--now", later.Format(time.RFC3339), "--recorded", "biz:2="+file, "--recorded-shift")
	assert.Regexp(t, `recorded biz:2: \d+ tasks from .*, shifted by 10\d\dh\d+m[\d.]+s \(newest at 2026-04-18T02:00:00Z\)`, banner.String())

	src, err := recorded.Load(file, bkjobScope("biz:2"))
	require.NoError(t, err)
	d := time.Duration(later.UnixMilli()-src.Newest()) * time.Millisecond
	w := func(a, b time.Time) string {
		return "bk_scope_type=biz&bk_scope_id=2&length=200&create_time_start=" + msOf(a) + "&create_time_end=" + msOf(b)
	}
	ids := func(base, q string) []int64 {
		_, body := fetchBody(t, base, bkjob.UserAPIPath, q, recordAuth)
		var ans struct {
			Data struct {
				List []struct {
					ID int64 `json:"job_instance_id"`
				} `json:"job_instance_list"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &ans), body)
		var out []int64
		for _, it := range ans.Data.List {
			out = append(out, it.ID)
		}
		return out
	}
	a, b := recordNow.Add(-5*time.Hour), recordNow.Add(-4*time.Hour)
	want := ids(gen.URL, w(a, b))
	require.NotEmpty(t, want)
	assert.Equal(t, want, ids(served, w(a.Add(d), b.Add(d))))

	runContractSuite(t, roundTripContract(served, time.Time{}, time.Time{}))
}

// serve refuses what it cannot serve, before listening: a bad --recorded
// value, a broken file, a scope not in the fixtures, a shift without a file.
func TestServeRecordedUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("{\n"), 0o644))
	good := filepath.Join(dir, "biz77.jsonl")
	require.NoError(t, os.WriteFile(good, []byte(`{"job_instance_id":9,"bk_scope_type":"biz","bk_scope_id":"77","job_template_id":-1,"job_plan_id":-1,"job_cron_id":0,"name":"n","operator":"a","launch_mode":1,"status":1,"type":1,"create_time":5,"hosts":[]}`+"\n"), 0o644))
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--recorded", "biz:2"}, nil, "want SCOPE=FILE"},
		{[]string{"--recorded", "biz=x.jsonl"}, nil, "scope must look like TYPE:ID"},
		{[]string{"--recorded", "biz:2=a,biz:2=b"}, nil, "scope biz:2 is given twice"},
		{[]string{"--recorded", "biz:2=" + filepath.Join(dir, "none.jsonl")}, nil, "no such file"},
		{[]string{"--recorded", "biz:2=" + bad}, nil, bad + ":1: not a task in JSON"},
		{[]string{"--recorded", "biz:77=" + good}, nil, "recorded scope biz:77 (" + good + ") is not a scope of the fixtures"},
		{nil, map[string]string{"BKJOB_MOCK_RECORDED": "biz:77=" + good}, "recorded scope biz:77"},
		{[]string{"--recorded-shift"}, nil, "--recorded-shift needs --recorded SCOPE=FILE"},
	}
	for _, c := range cases {
		r := rejected(t, c.env, append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		assert.Equal(t, 2, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, c.args)
		assert.NotContains(t, r.stdout, "listening", c.args)
	}
}
