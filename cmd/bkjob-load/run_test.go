package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/internal/loadtest"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "bkjob-mock")
	require.NoError(t, os.WriteFile(bin, nil, 0o755))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mock", bin, "--floor", "abc"}, "invalid value"},
		{[]string{"--mock", bin, "--conns", "0"}, "--conns must be in 1..1024"},
		{[]string{"--mock", bin, "--duration", "2h"}, "--duration must be in (0, 1m]"},
		{[]string{"--mock", bin, "--rounds", "0"}, "--rounds must be in 1..9"},
		{[]string{"--mock", bin, "--scale", "1,-2"}, "--scale: want positive numbers"},
		{[]string{"--mock", bin, "--modes", "default,loud"}, `unknown mode "loud"`},
		{[]string{"--mock", bin, "--now", "yesterday"}, "--now: want RFC3339"},
		{[]string{"--mock", bin, "--scope", "biz"}, "--scope"},
		{[]string{"--mock", bin, "extra"}, `unexpected argument "extra"`},
		{[]string{"--mock", filepath.Join(t.TempDir(), "missing")}, "make load builds bin/bkjob-mock"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want, "%v", tc.args)
	}

	var stdout bytes.Buffer
	assert.Equal(t, exitOK, run(context.Background(), []string{"--help"}, &stdout, io.Discard))
	assert.Contains(t, stdout.String(), "-floor")
}

func TestParse(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "bkjob-mock")
	require.NoError(t, os.WriteFile(bin, nil, 0o755))
	opt, err := parse([]string{"--mock", bin, "--scale", "1, 10,100", "--modes", "quiet", "--scope", "biz:3"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 10, 100}, opt.scales)
	assert.Equal(t, []string{"quiet"}, opt.modes)
	assert.Equal(t, "biz:3", opt.scope.String())
	assert.Equal(t, 0.40, opt.floor)
	assert.Equal(t, 32, opt.conns)
}

func TestReport(t *testing.T) {
	t.Parallel()
	cmp := func(rate float64) loadtest.Comparison {
		return loadtest.Comparison{Server: loadtest.Medians{Rate: rate, P50: time.Millisecond, P99: 2 * time.Millisecond},
			Reference: loadtest.Medians{Rate: 1000, P50: time.Millisecond, P99: time.Millisecond}}
	}
	opt := options{floor: 0.40}
	results := []result{{mode: "default", scale: 1, cmp: cmp(500)}, {mode: "default", scale: 10, cmp: cmp(450)}}
	var out bytes.Buffer
	require.NoError(t, report(&out, opt, results))
	assert.Contains(t, out.String(), "every ratio is at least the floor 0.40")
	assert.Regexp(t, `default +10 +450 +1\.00ms +2\.00ms +0\.0µs +1000 .* 0\.45 +2\.0 +0\.90`, out.String())

	results = append(results, result{mode: "quiet", scale: 1, cmp: cmp(300), verdict: loadtest.Verdict(cmp(300), 0.40, 0)})
	err := report(io.Discard, opt, results)
	require.ErrorIs(t, err, loadtest.ErrBelowFloor)
	assert.Contains(t, err.Error(), "quiet at scale 1: rate ratio 0.30 is below the floor 0.40")
}

func TestBare(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- runBare(ctx, nil, strings.NewReader(`{"data":1}`), pw); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "bare listening on ")
	require.True(t, ok, line)
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)

	resp, err := http.Get(url + "/anything")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, `{"data":1}`, string(body))
	assert.Equal(t, int64(10), resp.ContentLength)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	cancel()
	assert.NoError(t, <-errc)

	assert.Error(t, runBare(context.Background(), nil, strings.NewReader(""), io.Discard), "no body")
	assert.Error(t, runBare(context.Background(), []string{"--nope"}, nil, io.Discard), "unknown flag")
}

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	d, ok := parseStatCPU("4242 (bkjob mock (x)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0 100 0 0")
	require.True(t, ok)
	assert.Equal(t, 3250*time.Millisecond, d, "utime 250 + stime 75 ticks")
	for _, bad := range []string{"", "4242 bkjob-mock S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 ab 75 0"} {
		_, ok := parseStatCPU(bad)
		assert.False(t, ok, bad)
	}
}

func TestSoakUsage(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "bkjob-mock")
	require.NoError(t, os.WriteFile(bin, nil, 0o755))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mock", bin, "--duration", "2h"}, "--duration must be in (0, 1h]"},
		{[]string{"--mock", bin, "--sample", "1ms"}, "--sample must be from 100ms to --duration"},
		{[]string{"--mock", bin, "--duration", "5s", "--sample", "10s"}, "--sample must be from 100ms to --duration"},
		{[]string{"--mock", bin, "--conns", "0"}, "--conns must be in 1..256"},
		{[]string{"--mock", bin, "extra"}, `unexpected argument "extra"`},
		{[]string{"--mock", filepath.Join(t.TempDir(), "missing")}, "make soak builds bin/bkjob-mock"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"soak"}, tc.args...), &stdout, &stderr)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want, "%v", tc.args)
	}
	var stdout bytes.Buffer
	assert.Equal(t, exitOK, run(context.Background(), []string{"soak", "--help"}, &stdout, io.Discard))
	assert.Contains(t, stdout.String(), "RSS at start + 2 × (history bound + journal bound) + 64 MiB")
	opt, err := parseSoak([]string{"--mock", bin}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, soakOptions{mock: bin, duration: time.Minute, sample: 5 * time.Second, conns: 16, extra: []string{}}, opt)
}

func TestParseVmRSS(t *testing.T) {
	t.Parallel()
	n, err := parseVmRSS("Name:\tbkjob-mock\nVmPeak:\t  900 kB\nVmRSS:\t   22456 kB\nThreads:\t9\n")
	require.NoError(t, err)
	assert.Equal(t, int64(22456<<10), n)
	for _, bad := range []string{"", "VmRSS:\t22456\n", "VmRSS:\tmany kB\n", "VmHWM:\t1 kB\n"} {
		_, err := parseVmRSS(bad)
		assert.Error(t, err, bad)
	}
}
