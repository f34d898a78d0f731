package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// dumpNow is the pinned clock of the dump tests.
const dumpNow = "2026-03-04T10:00:00+08:00"

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the program with args and an environment.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runCLIContext(t, context.Background(), env, args...)
}

// runCLIContext is runCLI with a context.
func runCLIContext(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, func(k string) string { return env[k] }, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// rejected runs a command that must refuse its flags: with a context that has
// already ended, a serve that accepted them stops at once instead of serving.
func rejected(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return runCLIContext(t, ctx, env, args...)
}

// lines returns the JSON objects of a jsonl dump.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		out = append(out, m)
	}
	return out
}

func TestDumpJSONL(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "dump", "--scope", "biz:2", "--now", dumpNow, "--from", "2026-03-04T08:00:00+08:00")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	got := jsonLines(t, r.stdout)

	// The same tasks the history holds, in the API's order.
	fx, err := fixtures.Default()
	require.NoError(t, err)
	now, _ := parseTime(dumpNow)
	from, _ := parseTime("2026-03-04T08:00:00+08:00")
	var want []bkjob.JobInstance
	history.New(fx, history.Options{Seed: 1}).Each(bkjob.Scope{Type: "biz", ID: "2"}, from, now, now, func(j bkjob.JobInstance) bool {
		want = append(want, j)
		return true
	})
	require.NotEmpty(t, want)
	require.Len(t, got, len(want))

	statuses := map[float64]bool{}
	for i, m := range got {
		j := want[i]
		assert.Equal(t, float64(j.ID), m["job_instance_id"])
		assert.Equal(t, "biz", m["bk_scope_type"])
		assert.Equal(t, "2", m["bk_scope_id"])
		assert.Equal(t, 2.0, m["bk_biz_id"])
		assert.Equal(t, j.Name, m["name"])
		assert.Equal(t, j.Operator, m["operator"])
		for _, k := range []string{"job_template_id", "job_plan_id", "job_cron_id", "launch_mode", "status", "type", "create_time", "hosts"} {
			assert.Contains(t, m, k)
		}
		st := m["status"].(float64)
		statuses[st] = true
		_, hasStart := m["start_time"]
		_, hasEnd := m["end_time"]
		_, hasTotal := m["total_time"]
		assert.Equal(t, j.StartTime != 0, hasStart)
		assert.Equal(t, j.EndTime != 0, hasEnd)
		assert.Equal(t, j.HasTotalTime, hasTotal)
		if st == 1 {
			assert.False(t, hasStart || hasEnd || hasTotal, "a waiting task has no times")
		}
		assert.GreaterOrEqual(t, m["create_time"].(float64), float64(from))
	}
	assert.True(t, statuses[1] && statuses[2] && statuses[3], "waiting, running and finished tasks: %v", statuses)

	// Byte-identical on a second run.
	again := runCLI(t, nil, "dump", "--scope", "biz:2", "--now", dumpNow, "--from", "2026-03-04T08:00:00+08:00")
	assert.Equal(t, r.stdout, again.stdout)
}

func TestDumpCSV(t *testing.T) {
	t.Parallel()
	args := []string{"dump", "--scope", "biz_set:9991001", "--now", "1772589600000", "--from", "1772503200000", "--to", "1772589600000"}
	r := runCLI(t, nil, append(args, "--format", "csv")...)
	require.Equal(t, 0, r.code, r.stderr)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	assert.Equal(t, dumpColumns, rows[0])
	j := runCLI(t, nil, args...)
	objects := jsonLines(t, j.stdout)
	require.Len(t, rows, len(objects)+1)
	for i, row := range rows[1:] {
		m := objects[i]
		assert.Equal(t, "biz_set", row[1])
		assert.Equal(t, "", row[3], "no bk_biz_id for a business set")
		assert.NotContains(t, m, "bk_biz_id")
		assert.Equal(t, m["name"], row[7])
		var hosts []string
		for _, h := range m["hosts"].([]any) {
			hosts = append(hosts, h.(string))
		}
		assert.Equal(t, strings.Join(hosts, ";"), row[16])
		_, hasEnd := m["end_time"]
		assert.Equal(t, hasEnd, row[14] != "")
	}
}

func TestDumpEnvironment(t *testing.T) {
	t.Parallel()
	base := []string{"dump", "--scope", "biz:3", "--now", dumpNow, "--from", "2026-03-04T00:00:00+08:00"}
	seed1 := runCLI(t, nil, base...)
	seed5 := runCLI(t, nil, append(base, "--seed", "5")...)
	env5 := runCLI(t, map[string]string{"BKJOB_MOCK_SEED": "5"}, base...)
	flagWins := runCLI(t, map[string]string{"BKJOB_MOCK_SEED": "5"}, append(base, "--seed", "1")...)
	for _, r := range []result{seed1, seed5, env5, flagWins} {
		require.Equal(t, 0, r.code, r.stderr)
		require.NotEmpty(t, r.stdout)
	}
	assert.NotEqual(t, seed1.stdout, seed5.stdout)
	assert.Equal(t, seed5.stdout, env5.stdout)
	assert.Equal(t, seed1.stdout, flagWins.stdout)

	// --now from the environment too.
	envNow := runCLI(t, map[string]string{"BKJOB_MOCK_NOW": dumpNow}, "dump", "--scope", "biz:3", "--from", "2026-03-04T00:00:00+08:00")
	assert.Equal(t, seed1.stdout, envNow.stdout)

	// Seed 0 picks one and says which.
	r := runCLI(t, nil, append(base, "--seed", "0")...)
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.stderr, "seed ")
}

func TestDumpFixturesFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "fx.yaml")
	require.NoError(t, os.WriteFile(good, []byte(strings.Join([]string{
		"scopes:",
		"  - scope: biz:7",
		"    name: seven",
		"    tasks_per_minute: 2",
		"    hosts: [10.7.0.1, 10.7.0.2]",
		"    operators: [alice]",
		"    names: {script: {zh: [快速执行脚本_x], en: [API Quick execution script x]}}",
	}, "\n")), 0o644))
	r := runCLI(t, nil, "dump", "--fixtures", good, "--scope", "biz:7", "--now", dumpNow, "--from", "2026-03-04T09:00:00+08:00")
	require.Equal(t, 0, r.code, r.stderr)
	for _, m := range jsonLines(t, r.stdout) {
		assert.Equal(t, "alice", m["operator"])
		assert.Equal(t, -1.0, m["job_plan_id"])
	}

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("scopes:\n  - scope: biz:x\n    name: x\n"), 0o644))
	r = runCLI(t, map[string]string{"BKJOB_MOCK_FIXTURES": bad}, "dump", "--scope", "biz:7")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, bad+`:2: scope "biz:x": business id must be a positive integer`)
}

func TestDumpUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in stderr
	}{
		{"no scope", []string{}, nil, "--scope is required"},
		{"bad scope", []string{"--scope", "biz2"}, nil, "--scope \"biz2\""},
		{"unknown scope", []string{"--scope", "biz:999"}, nil, "--scope biz:999 is not in the fixtures (they have biz:2, biz:3, biz:100, biz_set:9991001)"},
		{"bad format", []string{"--scope", "biz:2", "--format", "xml"}, nil, "--format must be jsonl or csv"},
		{"bad from", []string{"--scope", "biz:2", "--from", "yesterday"}, nil, `--from: "yesterday" is neither RFC3339`},
		{"bad to", []string{"--scope", "biz:2", "--to", "2026-13-01T00:00:00Z"}, nil, "--to:"},
		{"bad now", []string{"--scope", "biz:2", "--now", "soon"}, nil, "--now:"},
		{"from after to", []string{"--scope", "biz:2", "--from", "2000", "--to", "1000"}, nil, "--from 1970-01-01T00:00:02Z is after --to 1970-01-01T00:00:01Z"},
		{"bad scale", []string{"--scope", "biz:2", "--scale", "-1"}, nil, "--scale must be a positive number"},
		{"huge scale", []string{"--scope", "biz:2", "--scale", "1e9"}, nil, "ids have room for"},
		{"bad seed", []string{"--scope", "biz:2", "--seed", "x"}, nil, "invalid value"},
		{"bad seed in env", []string{"--scope", "biz:2"}, map[string]string{"BKJOB_MOCK_SEED": "x"}, `BKJOB_MOCK_SEED="x"`},
		{"unknown flag", []string{"--colour"}, nil, "flag provided but not defined: -colour"},
		{"extra argument", []string{"--scope", "biz:2", "now"}, nil, `unexpected argument "now"`},
		{"missing fixtures", []string{"--scope", "biz:2", "--fixtures", "/nonexistent/fx.yaml"}, nil, "fixtures:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.env, append([]string{"dump"}, tt.args...)...)
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
		})
	}

	t.Run("help", func(t *testing.T) {
		t.Parallel()
		r := runCLI(t, nil, "dump", "--help")
		assert.Equal(t, 0, r.code)
		assert.Contains(t, r.stdout, "Usage: bkjob-mock dump --scope TYPE:ID")
		assert.Contains(t, r.stdout, "-format")
		// every field a line has beyond the API's is named
		assert.Contains(t, r.stdout, `"job_cron_id"`)
		assert.Contains(t, r.stdout, `"hosts"`)
		assert.Empty(t, r.stderr)
	})
}

func TestDumpCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"dump", "--scope", "biz:2", "--now", dumpNow}, func(string) string { return "" }, &out, &errb)
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), "context canceled")
	assert.Less(t, strings.Count(out.String(), "\n"), 5000)
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1772589600000", 1772589600000, true},
		{"0", 0, true},
		{"2026-03-04T10:00:00+08:00", time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC).UnixMilli(), true},
		{"2026-03-04T02:00:00.123Z", time.Date(2026, 3, 4, 2, 0, 0, 123e6, time.UTC).UnixMilli(), true},
		{"2026-03-04", 0, false},
		{"", 0, false},
		{"1.5e12", 0, false},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}
