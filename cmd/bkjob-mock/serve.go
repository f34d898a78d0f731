package main

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

const serveUsage = `Usage: bkjob-mock serve [flags]

Serves GET /api/v4/get_job_instance_list and GET /api/v4/system/get_job_instance_list
as the real BlueKing Job stack answers them, over a generated, deterministic job history.
Also: the admin page at /__mock/ (journal, scenario switches, data browser), the admin
API under /__mock/ (see the README), GET /__mock/health, GET /__mock/openapi.yaml.
Scenarios per request: header X-Mock-Scenario (GET /__mock/scenarios/catalog lists them).

Every flag can also be set with the environment variable BKJOB_MOCK_<FLAG>
(upper case, dashes as underscores, e.g. BKJOB_MOCK_CORS_ORIGIN); a flag wins.

Flags:
`

// serveFlags are the options of "serve".
type serveFlags struct {
	addr       string
	seed       int64
	now        string
	fixtures   string
	basePath   string
	quirks     bool
	corsOrigin string
	scale      float64
	logLevel   string
	journal    int
	adminToken string
	watch      bool
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on; port 0 picks a free port")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the generated history; 0 picks one and prints it")
	fs.StringVar(&f.now, "now", "", "pin the clock to this instant (RFC3339 or Unix milliseconds); default: the clock runs")
	fs.StringVar(&f.fixtures, "fixtures", "", "fixtures YAML file replacing the embedded default")
	fs.StringVar(&f.basePath, "base-path", "", "also serve the API under this path prefix, e.g. /prod")
	fs.BoolVar(&f.quirks, "quirks", false, "reproduce the real server's bugs (500 on invalid status/launch_mode, invalid type ignored)")
	fs.StringVar(&f.corsOrigin, "cors-origin", "", "allow browsers from these origins (comma-separated, or *)")
	fs.Float64Var(&f.scale, "scale", 1, "multiply every scope's task rate, e.g. 10 for a ten times busier history")
	fs.StringVar(&f.logLevel, "log-level", "info", "request log level: debug, info, warn, error or off")
	fs.IntVar(&f.journal, "journal-size", mock.DefaultJournalSize, "how many requests the journal (GET /__mock/requests) keeps; 0 for none")
	fs.StringVar(&f.adminToken, "admin-token", "", "let admin API writes come from any address with this token (Authorization: Bearer TOKEN); default: loopback only")
	fs.BoolVar(&f.watch, "watch", false, "reload --fixtures when the file changes; a broken version keeps the old fixtures and reports the error")
}

// parseFlags parses args, then fills every flag not given from the environment
// variable envPrefix+<FLAG> (upper case, dashes as underscores). Nothing is
// printed: the caller prints --help to stdout and mistakes once to stderr.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string, envPrefix string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" && !given[f.Name] && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = usagef("%s=%q: %v", env, v, e)
			}
		}
	})
	return err
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

	logger, err := newLogger(f.logLevel, stderr)
	if err != nil {
		return err
	}
	cfg := mock.Config{Seed: f.seed, Quirks: f.quirks, BasePath: f.basePath, CORSOrigin: f.corsOrigin, Scale: f.scale, Logger: logger,
		JournalSize: f.journal, AdminToken: f.adminToken}
	if f.journal < 0 {
		return usagef("--journal-size must be 0 or more, got %d", f.journal)
	}
	if f.watch && f.fixtures == "" {
		return usagef("--watch needs --fixtures FILE")
	}
	if f.scale <= 0 {
		return usagef("--scale must be positive, got %v", f.scale)
	}
	if f.basePath != "" && !strings.HasPrefix(f.basePath, "/") {
		return usagef("--base-path must start with /, got %q", f.basePath)
	}
	if cfg.Seed == 0 {
		var b [8]byte
		crand.Read(b[:])
		cfg.Seed = int64(binary.LittleEndian.Uint64(b[:])>>1) | 1
	}
	clock := "running"
	if f.now != "" {
		ms, err := parseTime(f.now)
		if err != nil {
			return usagef("--now: %v", err)
		}
		pinned := time.UnixMilli(ms)
		cfg.Now = func() time.Time { return pinned }
		clock = "pinned at " + pinned.UTC().Format(time.RFC3339Nano)
	}
	source := "embedded default"
	if f.fixtures != "" {
		cfg.Fixtures, err = fixtures.Load(f.fixtures)
		source = f.fixtures
	} else {
		cfg.Fixtures, err = fixtures.Default()
	}
	if err != nil {
		return usagef("fixtures: %v", err)
	}
	handler, err := mock.New(cfg)
	if err != nil {
		return err
	}
	if f.watch {
		go handler.Watch(ctx, f.fixtures, mock.DefaultWatchInterval)
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
	fmt.Fprintf(stdout, "bkjob-mock listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "seed %d, clock %s, fixtures %s, quirks %v\n", cfg.Seed, clock, source, f.quirks)
	fmt.Fprintf(stdout, "admin page http://%s/__mock/\n", ln.Addr())

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
