package main

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// parseFlags parses args, then fills each flag not given from the environment
// variable envPrefix+<FLAG> (upper case, dashes as underscores). With envFlags,
// only the flags named there fall back to the environment; without, all do.
// Nothing is printed: the caller prints --help to stdout and mistakes once to
// stderr. It returns errHelp for --help and a usage error for anything wrong.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string, envPrefix string, envFlags ...string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	fromEnv := func(string) bool { return true }
	if len(envFlags) > 0 {
		fromEnv = func(name string) bool {
			for _, n := range envFlags {
				if n == name {
					return true
				}
			}
			return false
		}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] || !fromEnv(f.Name) {
			return
		}
		env := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = usagef("%s=%q: %v", env, v, e)
			}
		}
	})
	return err
}

// historyFlagNames are the flags of historyFlags, the ones serve and dump share.
var historyFlagNames = []string{"seed", "now", "fixtures", "scale"}

// historyFlags are the options that decide the generated job history, shared
// by serve and dump so that the same values give the same history.
type historyFlags struct {
	seed     int64
	now      string
	fixtures string
	scale    float64
}

// register defines the history flags on fs; nowUsage says what --now means
// for the command.
func (f *historyFlags) register(fs *flag.FlagSet, nowUsage string) {
	fs.Int64Var(&f.seed, "seed", 1, "seed of the generated history; 0 picks one and prints it")
	fs.StringVar(&f.now, "now", "", nowUsage)
	fs.StringVar(&f.fixtures, "fixtures", "", "fixtures YAML file replacing the embedded default")
	fs.Float64Var(&f.scale, "scale", 1, "multiply every scope's task rate, e.g. 10 for a ten times busier history")
}

// historyConfig is what the history flags resolve to.
type historyConfig struct {
	fixtures   *fixtures.Fixtures
	source     string // where the fixtures came from: the file or "embedded default"
	seed       int64  // never 0
	seedPicked bool   // --seed 0 was given and seed was picked at random
	now        int64  // Unix ms of --now; 0 when not pinned
	pinned     bool   // --now was given
	scale      float64
}

// resolve validates the history flags, loads the fixtures and picks the seed
// if --seed is 0. Every error is a usage error. A --scale is refused when it is
// not a positive finite number or when the fixtures' ids have no room for it.
func (f *historyFlags) resolve() (*historyConfig, error) {
	if !(f.scale > 0) || math.IsInf(f.scale, 0) {
		return nil, usagef("--scale must be a positive number, not %v", f.scale)
	}
	h := &historyConfig{seed: f.seed, scale: f.scale, source: "embedded default"}
	if f.now != "" {
		ms, err := parseTime(f.now)
		if err != nil {
			return nil, usagef("--now: %v", err)
		}
		h.now, h.pinned = ms, true
	}
	var err error
	if f.fixtures != "" {
		h.fixtures, err = fixtures.Load(f.fixtures)
		h.source = f.fixtures
	} else {
		h.fixtures, err = fixtures.Default()
	}
	if err != nil {
		return nil, usagef("fixtures: %v", err)
	}
	if h.seed == 0 {
		h.seed, h.seedPicked = pickSeed(crand.Reader), true
	}
	if err := (history.Options{Seed: h.seed, Scale: h.scale}).Check(h.fixtures); err != nil {
		return nil, usagef("--scale: %v", err)
	}
	return h, nil
}

// pickSeed returns a random seed from r: positive, never 0. If r fails, it
// returns 1.
func pickSeed(r io.Reader) int64 {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 1
	}
	return int64(binary.LittleEndian.Uint64(b[:])>>1) | 1
}

// scopeFlag is a TYPE:ID flag; the zero scope means "not given".
type scopeFlag struct{ scope *bkjob.Scope }

func (f scopeFlag) String() string {
	if f.scope == nil || f.scope.Type == "" {
		return ""
	}
	return f.scope.String()
}

func (f scopeFlag) Set(s string) error {
	sc, err := bkjob.ParseScope(s)
	if err != nil {
		return err
	}
	*f.scope = sc
	return nil
}

// timeFlag is an instant given as RFC 3339 or Unix milliseconds.
type timeFlag struct{ t *time.Time }

func (f timeFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f timeFlag) Set(s string) error {
	ms, err := parseTime(s)
	if err == nil {
		*f.t = time.UnixMilli(ms)
	}
	return err
}

func fmtMs(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

// parseTime reads an instant given on the command line, as RFC3339
// (2026-11-29T10:00:00+08:00, fractional seconds allowed) or as Unix
// milliseconds (1764381600000), and returns Unix milliseconds.
func parseTime(s string) (int64, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither RFC3339 (2026-11-29T10:00:00+08:00) nor Unix milliseconds", s)
	}
	return t.UnixMilli(), nil
}

// byteSize is a flag of a number of bytes, written plainly (67108864) or
// with a unit: KiB, MiB, GiB (powers of 1024), KB, MB, GB (of 1000) or B.
type byteSize int64

var byteUnits = []struct {
	name string
	size int64
}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"b", 1}}

func (b byteSize) String() string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b >= byteSize(u.size) && int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// humanBytes writes n with a binary unit and one decimal, e.g. 12.8MiB.
func humanBytes(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size {
			return strconv.FormatFloat(float64(n)/float64(u.size), 'f', 1, 64) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

func (b *byteSize) Set(s string) error {
	num, unit := strings.TrimSpace(s), int64(1)
	lower := strings.ToLower(num)
	for _, u := range byteUnits {
		if strings.HasSuffix(lower, u.name) {
			num, unit = strings.TrimSpace(num[:len(num)-len(u.name)]), u.size
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/unit {
		return fmt.Errorf("%q is not a size: want bytes (67108864) or a whole number with a unit (64MiB, 512KiB, 1GB)", s)
	}
	*b = byteSize(n * unit)
	return nil
}
