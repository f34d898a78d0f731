package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clockNow is the --now of the clock tests.
var clockNow = time.Date(2026, 11, 29, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// fakeWall is a real clock the test moves by hand.
type fakeWall struct{ t time.Time }

func (w *fakeWall) now() time.Time { return w.t }

func TestClockOf(t *testing.T) {
	t.Parallel()
	wallStart := time.Date(2031, 1, 2, 3, 4, 5, 600_700_000, time.UTC)
	pinned := &historyConfig{now: clockNow.UnixMilli(), pinned: true}
	for _, tt := range []struct {
		name     string
		mode     string
		hc       *historyConfig
		wantNil  bool
		wantDesc string
		want0    time.Time // the clock as the mock starts
		wantLate time.Time // the clock 90 s of wall time later
	}{
		{"no --now: the real time", "", &historyConfig{}, true, "running", time.Time{}, time.Time{}},
		{"--clock run without --now: the real time", clockRun, &historyConfig{}, true, "running", time.Time{}, time.Time{}},
		{"--now pins", "", pinned, false, "pinned at 2026-11-29T02:00:00Z", clockNow, clockNow},
		{"--now --clock pinned pins", clockPinned, pinned, false, "pinned at 2026-11-29T02:00:00Z", clockNow, clockNow},
		{"--now --clock run starts there and runs", clockRun, pinned, false, "running from 2026-11-29T02:00:00Z", clockNow, clockNow.Add(90 * time.Second)},
		{"--clock pinned without --now pins the start", clockPinned, &historyConfig{}, false, "pinned at 2031-01-02T03:04:05.6Z",
			wallStart.Truncate(time.Millisecond), wallStart.Truncate(time.Millisecond)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wall := &fakeWall{wallStart}
			clock, desc := clockOf(tt.mode, tt.hc, wall.now)
			assert.Equal(t, tt.wantDesc, desc)
			if tt.wantNil {
				assert.Nil(t, clock)
				return
			}
			require.NotNil(t, clock)
			assert.True(t, tt.want0.Equal(clock()), "at start: %v, want %v", clock(), tt.want0)
			wall.t = wall.t.Add(90 * time.Second)
			assert.True(t, tt.wantLate.Equal(clock()), "90 s later: %v, want %v", clock(), tt.wantLate)
		})
	}
}

func TestClockFlagRejected(t *testing.T) {
	t.Parallel()
	for _, r := range []result{
		rejected(t, nil, "serve", "--addr", "127.0.0.1:0", "--log-level", "off", "--clock", "runs"),
		rejected(t, map[string]string{"BKJOB_MOCK_CLOCK": "frozen"}, "serve", "--addr", "127.0.0.1:0", "--log-level", "off"),
	} {
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "--clock must be pinned or run, got")
		assert.Empty(t, r.stdout)
	}
}

// serve --now T --clock run (here from the environment): the banner, GET
// /__mock/config and the Date header of an answer all tell the clock that
// started at T and runs.
func TestServeClockRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	env := map[string]string{"BKJOB_MOCK_CLOCK": "run"}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--now", clockNow.Format(time.RFC3339), "--log-level", "off"},
			func(k string) string { return env[k] }, &stdout, &stderr)
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	require.Eventually(t, func() bool {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		return base != ""
	}, guard, 10*time.Millisecond, "stderr: %s", stderr.String())
	assert.Contains(t, stdout.String(), "seed 1, clock running from 2026-11-29T02:00:00Z, fixtures embedded default")

	get := func(path string, header ...string) (*http.Response, []byte) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, b
	}
	_, body := get("/__mock/config")
	var cfg struct {
		Clock string `json:"clock"`
		NowMS int64  `json:"now_ms"`
	}
	require.NoError(t, json.Unmarshal(body, &cfg), string(body))
	assert.Equal(t, "running from 2026-11-29T02:00:00Z", cfg.Clock)
	assert.GreaterOrEqual(t, cfg.NowMS, clockNow.UnixMilli())
	assert.Less(t, cfg.NowMS, clockNow.Add(guard).UnixMilli())

	resp, _ := get("/api/v4/get_job_instance_list?bk_scope_type=biz&bk_scope_id=2&create_time_start=0&create_time_end=1",
		"X-Bkapi-Authorization", `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"admin"}`)
	date, err := http.ParseTime(resp.Header.Get("Date"))
	require.NoError(t, err, resp.Header.Get("Date"))
	assert.False(t, date.Before(clockNow), "Date %v before --now", date)
	assert.True(t, date.Before(clockNow.Add(guard)), "Date %v: not the mock's clock", date)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(guard):
		t.Fatal("serve did not stop")
	}
}

// serve --help names every flag added here and every header the admin token
// is accepted from.
func TestServeHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "serve", "--help")
	assert.Equal(t, 0, r.code)
	assert.Empty(t, r.stderr)
	assert.Contains(t, r.stdout, "-clock")
	assert.Contains(t, r.stdout, "Authorization: Bearer TOKEN or X-Mock-Admin-Token: TOKEN")
}
