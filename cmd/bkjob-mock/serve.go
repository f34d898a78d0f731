package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

const serveUsage = `Usage: bkjob-mock serve [flags]

Serves GET /api/v4/get_job_instance_list and GET /api/v4/system/get_job_instance_list
as the real BlueKing Job stack answers them, over a generated, deterministic job history.
Also: the admin page at /__mock/ (journal, scenario switches, data browser), the admin
API under /__mock/ (see docs/journal-and-admin.md), GET /__mock/health, GET /__mock/openapi.yaml.
Scenarios per request: header X-Mock-Scenario (GET /__mock/scenarios/catalog lists them).

Every flag can also be set with the environment variable BKJOB_MOCK_<FLAG>
(upper case, dashes as underscores, e.g. BKJOB_MOCK_CORS_ORIGIN); a flag wins.

Flags:
`

// serveFlags are the options of "serve".
type serveFlags struct {
	history    historyFlags
	addr       string
	basePath   string
	quirks     bool
	corsOrigin string
	logLevel   string
	journal    int
	journalMax byteSize
	adminToken string
	watch      bool
	recorded   recordedFlag
	shift      bool
	clock      string
	pprof      bool
	budget     time.Duration
}

// Bounds of --journal-size and --journal-bytes: the journal is held in memory.
const (
	maxJournalSize  = 1_000_000
	minJournalBytes = 256 << 10 // one entry with all its parts at their caps
	maxJournalBytes = 16 << 30
	maxQueryBudget  = 10 * time.Minute
)

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on; port 0 picks a free port")
	f.history.register(fs, "start the clock at this instant (RFC3339 or Unix milliseconds), pinned there unless --clock run; default: the real time, running")
	fs.StringVar(&f.clock, "clock", "", "pinned (the default with --now: every answer reproducible) or run (starts at --now, then runs, so the data moves)")
	fs.StringVar(&f.basePath, "base-path", "", "also serve the API under this path prefix, e.g. /prod")
	fs.BoolVar(&f.quirks, "quirks", false, "reproduce the real server's bugs (500 on invalid status/launch_mode, invalid type ignored)")
	fs.StringVar(&f.corsOrigin, "cors-origin", "", "allow browsers from these origins: comma-separated ORIGIN, scheme://host:* (any port) or *; off for none (default "+mock.DefaultCORSOrigins+")")
	fs.StringVar(&f.logLevel, "log-level", "info", "request log level: debug, info, warn, error or off")
	fs.IntVar(&f.journal, "journal-size", mock.DefaultJournalSize, fmt.Sprintf("how many requests the journal (GET /__mock/requests) keeps, at most %d; 0 for none", maxJournalSize))
	f.journalMax = mock.DefaultJournalBytes
	fs.Var(&f.journalMax, "journal-bytes", fmt.Sprintf("the most memory the journal holds, as bytes or with a unit (KiB, MiB, GiB, KB, MB, GB), from %s to %s; the oldest entries go first", byteSize(minJournalBytes), byteSize(maxJournalBytes)))
	fs.StringVar(&f.adminToken, "admin-token", "", "let admin API writes come from any address with this token, sent as Authorization: Bearer TOKEN or "+mock.AdminTokenHeader+": TOKEN; default: loopback only")
	fs.DurationVar(&f.budget, "query-budget", mock.DefaultQueryBudget, fmt.Sprintf("the most time one API query may spend generating and reading history, up to %v; past it the query answers the gateway's 504 with X-Mock-Error: query-budget (see --scale)", maxQueryBudget))
	fs.BoolVar(&f.pprof, "pprof", false, "serve net/http/pprof under /__mock/debug/pprof/ to loopback clients")
	fs.BoolVar(&f.watch, "watch", false, "reload --fixtures when the file changes; a broken version keeps the old fixtures and reports the error")
	fs.Var(&f.recorded, "recorded", "serve a scope from recorded tasks instead of generating them: `SCOPE=FILE` (JSONL of record or dump), repeatable or comma-separated; the scope must be in the fixtures")
	fs.BoolVar(&f.shift, "recorded-shift", false, "move each --recorded scope in time so that its newest time sits at now (taken at start and at each reload)")
}

// config checks the flags and returns the mock's configuration (without its
// Logger) and the resolved history. Every error is a usage error.
func (f *serveFlags) config() (mock.Config, *historyConfig, error) {
	if f.journal < 0 {
		return mock.Config{}, nil, usagef("--journal-size must be 0 or more, got %d", f.journal)
	}
	if f.journal > maxJournalSize {
		return mock.Config{}, nil, usagef("--journal-size must be at most %d, got %d", maxJournalSize, f.journal)
	}
	if f.journalMax < minJournalBytes || f.journalMax > maxJournalBytes {
		return mock.Config{}, nil, usagef("--journal-bytes must be from %s to %s, got %s", byteSize(minJournalBytes), byteSize(maxJournalBytes), f.journalMax)
	}
	if f.budget <= 0 || f.budget > maxQueryBudget {
		return mock.Config{}, nil, usagef("--query-budget must be more than 0 and at most %v, got %v", maxQueryBudget, f.budget)
	}
	if f.watch && f.history.fixtures == "" {
		return mock.Config{}, nil, usagef("--watch needs --fixtures FILE")
	}
	if f.basePath != "" && !strings.HasPrefix(f.basePath, "/") {
		return mock.Config{}, nil, usagef("--base-path must start with /, got %q", f.basePath)
	}
	if f.shift && len(f.recorded) == 0 {
		return mock.Config{}, nil, usagef("--recorded-shift needs --recorded SCOPE=FILE")
	}
	if f.clock != "" && f.clock != clockPinned && f.clock != clockRun {
		return mock.Config{}, nil, usagef("--clock must be %s or %s, got %q", clockPinned, clockRun, f.clock)
	}
	hc, err := f.history.resolve()
	if err != nil {
		return mock.Config{}, nil, err
	}
	var sources []*recorded.Source
	for _, r := range f.recorded {
		src, err := recorded.Load(r.path, r.scope)
		if err != nil {
			return mock.Config{}, nil, usagef("--recorded %s=%s: %v", r.scope, r.path, err)
		}
		sources = append(sources, src)
	}
	cfg := mock.Config{
		Fixtures:     hc.fixtures,
		Seed:         hc.seed,
		Scale:        hc.scale,
		Quirks:       f.quirks,
		BasePath:     f.basePath,
		CORSOrigin:   f.corsOrigin,
		JournalSize:  f.journal, // 0 keeps no journal
		JournalBytes: int64(f.journalMax),
		AdminToken:   f.adminToken,

		Recorded:      sources,
		RecordedShift: f.shift,
		Pprof:         f.pprof,
		QueryBudget:   f.budget,
	}
	cfg.Now, cfg.Clock = clockOf(f.clock, hc, time.Now)
	return cfg, hc, nil
}

// The values of --clock.
const (
	clockPinned = "pinned"
	clockRun    = "run"
)

// clockOf returns the mock's clock for --clock mode and --now (hc), and how
// it behaves in words, as the banner and GET /__mock/config show it. wall is
// the real clock. Without --now, "pinned" pins the instant the mock starts.
// A nil clock is the real time.
func clockOf(mode string, hc *historyConfig, wall func() time.Time) (func() time.Time, string) {
	switch {
	case mode == clockRun && hc.pinned:
		start := time.UnixMilli(hc.now)
		return runningFrom(start, wall), "running from " + start.UTC().Format(time.RFC3339Nano)
	case mode == clockPinned || mode == "" && hc.pinned:
		at := wall().Truncate(time.Millisecond)
		if hc.pinned {
			at = time.UnixMilli(hc.now)
		}
		return func() time.Time { return at }, "pinned at " + at.UTC().Format(time.RFC3339Nano)
	}
	return nil, "running"
}

// runningFrom is a clock that reads start now and then runs with wall.
func runningFrom(start time.Time, wall func() time.Time) func() time.Time {
	origin := wall()
	return func() time.Time { return start.Add(wall().Sub(origin)) }
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var f serveFlags
	f.register(fs)
	if err := parseFlags(fs, args, getenv, "BKJOB_MOCK_"); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, serveUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return usagef("serve: %v (see bkjob-mock serve --help)", err)
	}

	// The request log is buffered: a line a request costs no write of its own.
	logw := newLogWriter(stderr, logFlushDelay)
	defer logw.Close()
	logger, err := newLogger(f.logLevel, logw)
	if err != nil {
		return err
	}
	cfg, hc, err := f.config()
	if err != nil {
		return err
	}
	cfg.Logger = logger
	handler, err := mock.New(cfg)
	if err != nil {
		return usageError(err)
	}
	if f.watch {
		go handler.Watch(ctx, f.history.fixtures, mock.DefaultWatchInterval)
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usagef("listen: %v", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // long enough for slow-answer scenarios
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10, // request line and headers
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// The banner is written in one call: whoever waits for its first line
	// reads the rest with it.
	var banner strings.Builder
	fmt.Fprintf(&banner, "bkjob-mock listening on http://%s\n", ln.Addr())
	fmt.Fprintf(&banner, "seed %d, clock %s, fixtures %s, quirks %v\n", cfg.Seed, cfg.Clock, hc.source, f.quirks)
	for _, src := range handler.Recorded() {
		fmt.Fprintf(&banner, "recorded %s: %d tasks from %s%s\n", src.Scope(), src.Len(), src.Name(), shiftNote(src))
	}
	hb, jb := handler.MemoryBound()
	paceCtx, stopPacing := context.WithCancel(ctx)
	paced := make(chan struct{})
	go func() {
		defer close(paced)
		paceGC(paceCtx, func() int64 { h, j := handler.MemoryHeld(); return h + j }, getenv, gcPaceEvery)
	}()
	defer func() { stopPacing(); <-paced }()
	fmt.Fprintf(&banner, "memory bound: history %s, journal %s; query budget %v\n", humanBytes(hb), humanBytes(jb), cfg.QueryBudget)
	fmt.Fprintf(&banner, "admin page http://%s/__mock/\n", ln.Addr())
	if note := adminWriteNote(ln.Addr(), cfg.AdminToken != ""); note != "" {
		fmt.Fprintln(&banner, note)
	}
	base := "/"
	if cfg.BasePath != "" {
		base = "/ and " + cfg.BasePath
	}
	fmt.Fprintf(&banner, "API under %s, CORS origins %s\n", base, handler.CORSOrigins())
	if f.pprof {
		fmt.Fprintf(&banner, "profiles http://%s/__mock/debug/pprof/ (loopback clients only)\n", ln.Addr())
	}
	io.WriteString(stdout, banner.String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	fmt.Fprintln(stdout, "bkjob-mock stopped")
	return nil
}

// shiftNote says how far a recorded scope is moved in time, if at all.
func shiftNote(src *recorded.Source) string {
	if src.Shift() == 0 {
		return ""
	}
	return fmt.Sprintf(", shifted by %v (newest at %s)", time.Duration(src.Shift())*time.Millisecond, fmtMs(src.Newest()))
}

// recordedFlag is --recorded: SCOPE=FILE pairs, from repeated flags or a
// comma-separated list (the environment variable's form).
type recordedFlag []recordedFile

type recordedFile struct {
	scope bkjob.Scope
	path  string
}

func (f *recordedFlag) String() string {
	var parts []string
	for _, r := range *f {
		parts = append(parts, r.scope.String()+"="+r.path)
	}
	return strings.Join(parts, ",")
}

func (f *recordedFlag) Set(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		sc, path, ok := strings.Cut(item, "=")
		if !ok || path == "" {
			return fmt.Errorf("want SCOPE=FILE, e.g. biz:2=tasks.jsonl, not %q", item)
		}
		scope, err := bkjob.ParseScope(sc)
		if err != nil {
			return fmt.Errorf("%q: %v", item, err)
		}
		for _, r := range *f {
			if r.scope == scope {
				return fmt.Errorf("scope %s is given twice", scope)
			}
		}
		*f = append(*f, recordedFile{scope: scope, path: path})
	}
	return nil
}

// adminWriteNote says who may write to the admin API when that is not what a
// local run expects: with a token, anyone who sends it; without one, only
// loopback clients, which on a non-loopback address (a container, a shared
// host) means no one else.
func adminWriteNote(addr net.Addr, token bool) string {
	if token {
		return "admin API writes need the admin token (Authorization: Bearer TOKEN), from any host"
	}
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		return ""
	}
	return "admin API writes only from loopback clients: set --admin-token (BKJOB_MOCK_ADMIN_TOKEN) to switch scenarios from other hosts"
}

// newLogger returns the request logger for a --log-level.
func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	switch strings.ToLower(level) {
	case "off", "none":
		return slog.New(slog.DiscardHandler), nil
	default:
		if err := l.UnmarshalText([]byte(level)); err != nil {
			return nil, usagef("--log-level: want debug, info, warn, error or off, got %q", level)
		}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
