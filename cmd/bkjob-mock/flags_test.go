package main

import (
	"bytes"
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/mock"
)

// The history flags are checked once for serve and dump: a bad --scale is a
// usage error (exit 2) in both, from a flag or from the environment.
func TestHistoryFlagsScale(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scale string
		want  string
	}{
		{"0", "--scale must be a positive number, not 0"},
		{"-1", "--scale must be a positive number, not -1"},
		{"NaN", "--scale must be a positive number, not NaN"},
		{"+Inf", "--scale must be a positive number, not +Inf"},
		{"-Inf", "--scale must be a positive number, not -Inf"},
		{"1e9", "--scale: history: scale 1e+09 makes up to"},
	} {
		for _, cmd := range [][]string{
			{"serve", "--addr", "127.0.0.1:0", "--log-level", "off"},
			{"dump", "--scope", "biz:2", "--now", dumpNow},
		} {
			t.Run(cmd[0]+" "+tt.scale, func(t *testing.T) {
				t.Parallel()
				for _, r := range []result{
					rejected(t, nil, append(cmd, "--scale", tt.scale)...),
					rejected(t, map[string]string{"BKJOB_MOCK_SCALE": tt.scale}, cmd...),
				} {
					assert.Equal(t, 2, r.code)
					assert.Contains(t, r.stderr, tt.want)
					assert.Empty(t, r.stdout)
				}
			})
		}
	}
}

func TestServeConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		args        []string
		wantJournal int
		wantBytes   int64 // 0: the default
		wantSeed    int64 // 0: any seed but 0, picked
		wantPinned  bool
	}{
		{"defaults", nil, mock.DefaultJournalSize, 0, 1, false},
		{"no journal", []string{"--journal-size", "0"}, 0, 0, 1, false},
		{"small journal", []string{"--journal-size", "3"}, 3, 0, 1, false},
		{"largest journal", []string{"--journal-size", "1000000"}, 1_000_000, 0, 1, false},
		{"journal bytes", []string{"--journal-bytes", "1048576"}, mock.DefaultJournalSize, 1 << 20, 1, false},
		{"journal bytes with a unit", []string{"--journal-bytes", "512KiB"}, mock.DefaultJournalSize, 512 << 10, 1, false},
		{"journal bytes in MB", []string{"--journal-bytes", "2 MB"}, mock.DefaultJournalSize, 2e6, 1, false},
		{"largest journal bytes", []string{"--journal-bytes", "16gib"}, mock.DefaultJournalSize, 16 << 30, 1, false},
		{"seed", []string{"--seed", "42"}, mock.DefaultJournalSize, 0, 42, false},
		{"seed 0 picks one", []string{"--seed", "0"}, mock.DefaultJournalSize, 0, 0, false},
		{"pinned clock", []string{"--now", "1772589600000"}, mock.DefaultJournalSize, 0, 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			var f serveFlags
			f.register(fs)
			require.NoError(t, parseFlags(fs, tt.args, func(string) string { return "" }, "BKJOB_MOCK_"))
			cfg, hc, err := f.config()
			require.NoError(t, err)
			assert.Equal(t, tt.wantJournal, cfg.JournalSize, "passed straight to mock.Config")
			if tt.wantBytes == 0 {
				tt.wantBytes = mock.DefaultJournalBytes
			}
			assert.Equal(t, tt.wantBytes, cfg.JournalBytes)
			assert.NotNil(t, cfg.Fixtures)
			assert.Equal(t, cfg.Seed, hc.seed)
			if tt.wantSeed == 0 {
				assert.NotZero(t, cfg.Seed)
				assert.True(t, hc.seedPicked)
			} else {
				assert.Equal(t, tt.wantSeed, cfg.Seed)
				assert.False(t, hc.seedPicked)
			}
			assert.Equal(t, tt.wantPinned, cfg.Now != nil)
			if tt.wantPinned {
				assert.Equal(t, int64(1772589600000), cfg.Now().UnixMilli())
			}
		})
	}
}

func TestServeFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"watch without fixtures", []string{"--watch"}, nil, "--watch needs --fixtures"},
		{"negative journal", []string{"--journal-size", "-1"}, nil, "--journal-size must be 0 or more"},
		{"absurd journal", []string{"--journal-size", "1000001"}, nil, "--journal-size must be at most 1000000, got 1000001"},
		{"largest int journal", []string{"--journal-size", "9223372036854775807"}, nil, "--journal-size must be at most 1000000"},
		{"overflowing journal", []string{"--journal-size", "99999999999999999999"}, nil, "value out of range"},
		{"absurd journal in env", nil, map[string]string{"BKJOB_MOCK_JOURNAL_SIZE": "9223372036854775807"}, "--journal-size must be at most 1000000"},
		{"tiny journal bytes", []string{"--journal-bytes", "1KiB"}, nil, "--journal-bytes must be from 256KiB to 16GiB, got 1KiB"},
		{"absurd journal bytes", []string{"--journal-bytes", "1000GiB"}, nil, "--journal-bytes must be from 256KiB to 16GiB, got 1000GiB"},
		{"zero query budget", []string{"--query-budget", "0s"}, nil, "--query-budget must be more than 0 and at most 10m0s, got 0s"},
		{"long query budget", []string{"--query-budget", "1h"}, nil, "--query-budget must be more than 0 and at most 10m0s, got 1h0m0s"},
		{"query budget without a unit", []string{"--query-budget", "10"}, nil, "invalid value \"10\" for flag -query-budget"},
		{"overflowing journal bytes", []string{"--journal-bytes", "9223372036854775807GiB"}, nil, "is not a size"},
		{"negative journal bytes", []string{"--journal-bytes", "-5MiB"}, nil, "is not a size"},
		{"journal bytes no number", []string{"--journal-bytes", "MiB"}, nil, "is not a size"},
		{"journal bytes fraction", []string{"--journal-bytes", "1.5GiB"}, nil, "is not a size"},
		{"absurd journal bytes in env", nil, map[string]string{"BKJOB_MOCK_JOURNAL_BYTES": "20GiB"}, "--journal-bytes must be from 256KiB to 16GiB"},
		{"bad base path", []string{"--base-path", "prod"}, nil, "--base-path must start with /"},
		{"bad now", []string{"--now", "soon"}, nil, "--now:"},
		{"missing fixtures", []string{"--fixtures", "/nonexistent/fx.yaml"}, nil, "fixtures:"},
		{"bad seed in env", nil, map[string]string{"BKJOB_MOCK_SEED": "x"}, `BKJOB_MOCK_SEED="x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := rejected(t, tt.env, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "off"}, tt.args...)...)
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, tt.want)
			assert.NotContains(t, r.stderr, "panic")
			assert.Empty(t, r.stdout)
		})
	}
}

// parseFlags falls back to the environment for every flag, or only for those
// named; a flag on the command line wins.
func TestParseFlags(t *testing.T) {
	t.Parallel()
	env := map[string]string{"P_A": "env-a", "P_B_C": "env-bc", "P_D": "env-d"}
	for _, tt := range []struct {
		name     string
		args     []string
		envFlags []string
		want     [3]string // a, b-c, d
	}{
		{"all from env", nil, nil, [3]string{"env-a", "env-bc", "env-d"}},
		{"flag wins", []string{"-a", "flag-a"}, nil, [3]string{"flag-a", "env-bc", "env-d"}},
		{"only named flags", nil, []string{"a", "d"}, [3]string{"env-a", "", "env-d"}},
		{"only named, flag wins", []string{"-d", "flag-d"}, []string{"b-c", "d"}, [3]string{"", "env-bc", "flag-d"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("p", flag.ContinueOnError)
			var got [3]string
			fs.StringVar(&got[0], "a", "", "")
			fs.StringVar(&got[1], "b-c", "", "")
			fs.StringVar(&got[2], "d", "", "")
			require.NoError(t, parseFlags(fs, tt.args, func(k string) string { return env[k] }, "P_", tt.envFlags...))
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("help", func(t *testing.T) {
		t.Parallel()
		err := parseFlags(flag.NewFlagSet("p", flag.ContinueOnError), []string{"-h"}, func(string) string { return "" }, "P_")
		assert.True(t, errors.Is(err, errHelp))
	})
}

// dump takes only the flags it shares with serve from the environment.
func TestDumpEnvironmentOnlySharedFlags(t *testing.T) {
	t.Parallel()
	r := runCLI(t, map[string]string{"BKJOB_MOCK_SCOPE": "biz:2"}, "dump", "--now", dumpNow)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--scope is required")

	args := []string{"dump", "--scope", "biz:3", "--now", dumpNow, "--from", "2026-03-04T09:00:00+08:00"}
	plain := runCLI(t, nil, args...)
	withEnv := runCLI(t, map[string]string{"BKJOB_MOCK_FORMAT": "csv", "BKJOB_MOCK_TO": "1"}, args...)
	require.Equal(t, 0, plain.code, plain.stderr)
	require.NotEmpty(t, plain.stdout)
	assert.Equal(t, plain.stdout, withEnv.stdout)
}

// Seed 0 picks a seed and prints it; the printed seed gives the same history.
func TestDumpSeedZeroReproduces(t *testing.T) {
	t.Parallel()
	args := []string{"dump", "--scope", "biz:3", "--now", dumpNow, "--from", "2026-03-04T09:00:00+08:00"}
	picked := runCLI(t, nil, append(args, "--seed", "0")...)
	require.Equal(t, 0, picked.code, picked.stderr)
	m := regexp.MustCompile(`^bkjob-mock dump: seed ([1-9][0-9]*)\n$`).FindStringSubmatch(picked.stderr)
	require.NotNil(t, m, picked.stderr)
	again := runCLI(t, nil, append(args, "--seed", m[1])...)
	require.Equal(t, 0, again.code, again.stderr)
	assert.Empty(t, again.stderr, "a seed given is not printed")
	assert.Equal(t, picked.stdout, again.stdout)
}

func TestPickSeed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		bytes []byte
		want  int64
	}{
		{"all zero bytes still give a seed", make([]byte, 8), 1},
		{"top bit cleared: never negative", bytes.Repeat([]byte{0xff}, 8), 1<<63 - 1},
		{"little endian", []byte{2, 0, 0, 0, 0, 0, 0, 0}, 1},
		{"little endian, odd", []byte{6, 1, 0, 0, 0, 0, 0, 0}, 0x83},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, pickSeed(bytes.NewReader(tt.bytes)))
		})
	}
	t.Run("a failing reader gives 1", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, int64(1), pickSeed(iotest.ErrReader(errors.New("no entropy"))))
	})
	t.Run("short read gives 1", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, int64(1), pickSeed(strings.NewReader("abc")))
	})
}

// TestServePprof: --pprof (or BKJOB_MOCK_PPROF) reaches mock.Config; off by default.
func TestServePprof(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"off by default", nil, nil, false},
		{"flag", []string{"--pprof"}, nil, true},
		{"environment", nil, map[string]string{"BKJOB_MOCK_PPROF": "true"}, true},
		{"the flag wins", []string{"--pprof=false"}, map[string]string{"BKJOB_MOCK_PPROF": "true"}, false},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		var f serveFlags
		f.register(fs)
		require.NoError(t, parseFlags(fs, tt.args, func(k string) string { return tt.env[k] }, "BKJOB_MOCK_"), tt.name)
		cfg, _, err := f.config()
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, cfg.Pprof, tt.name)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var f serveFlags
	f.register(fs)
	err := parseFlags(fs, nil, func(k string) string { return map[string]string{"BKJOB_MOCK_PPROF": "maybe"}[k] }, "BKJOB_MOCK_")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "BKJOB_MOCK_PPROF")
}
