package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/internal/loadtest"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // a ratio under the floor, errors under load, a server that would not start
	exitUsage = 2
)

const usage = `Usage: bkjob-load [flags]        measure bkjob-mock against a bare handler
       bkjob-load bare [--addr A] [--mix]  serve the bytes read from stdin (the reference)
       bkjob-load soak [flags]  hold the mock under mixed, adversarial load and watch its RSS

Starts the bkjob-mock binary (--mock) and a bare net/http handler writing the
default page's bytes with Content-Length, both on 127.0.0.1, and drives the same
mix of 105 queries against each alternately: --rounds rounds of --duration at
--conns connections, after a warm-up. Prints req/s, p50 and p99 of each and the
ratio (medians of the rounds) for each mode and scale; exits 1 when a ratio is
under --floor (or a p99 over --max-p99 times the bare one's) or any answer was
not 200, 2 on bad usage.

Flags:
`

// modes are the sets of serve flags the script can measure.
var modes = map[string][]string{
	"default": nil,
	"quiet":   {"--log-level", "off", "--journal-size", "0"},
}

type options struct {
	mock     string
	now      string
	scope    bkjob.Scope
	conns    int
	duration time.Duration
	rounds   int
	floor    float64
	maxP99   float64
	scales   []float64
	modes    []string
	mockLog  string
	extra    []string // more serve flags
	bareMix  bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "bare" {
		if err := runBare(ctx, args[1:], os.Stdin, stdout); err != nil {
			fmt.Fprintln(stderr, "bkjob-load bare:", err)
			return exitUsage
		}
		return exitOK
	}
	if len(args) > 0 && args[0] == "soak" {
		return runSoak(ctx, args[1:], stdout, stderr)
	}
	opt, err := parse(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "bkjob-load: %v (see bkjob-load --help)\n", err)
		return exitUsage
	}
	if err := measure(ctx, opt, stdout); err != nil {
		fmt.Fprintln(stderr, "bkjob-load:", err)
		return exitFail
	}
	return exitOK
}

func parse(args []string, stdout io.Writer) (options, error) {
	fs := flag.NewFlagSet("bkjob-load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opt := options{scope: bkjob.Scope{Type: "biz", ID: "2"}}
	scope, scales, modeList := "biz:2", "1", "default,quiet"
	fs.StringVar(&opt.mock, "mock", "bin/bkjob-mock", "the bkjob-mock binary to measure")
	fs.StringVar(&opt.now, "now", "2026-11-29T10:00:00+08:00", "the mock's pinned clock (RFC3339); the windows end there")
	fs.StringVar(&scope, "scope", scope, "the scope the queries ask for")
	fs.IntVar(&opt.conns, "conns", 32, "concurrent keep-alive connections")
	fs.DurationVar(&opt.duration, "duration", 5*time.Second, "length of each measured run (at most 1m)")
	fs.IntVar(&opt.rounds, "rounds", 3, "rounds per mode, each measuring the mock and bare (at most 9)")
	fs.Float64Var(&opt.floor, "floor", 0.40, "fail when the mock's rate is under this fraction of bare's")
	fs.Float64Var(&opt.maxP99, "max-p99", 0, "also fail when the mock's p99 is over this multiple of bare's (0: not checked)")
	fs.StringVar(&scales, "scale", scales, "comma-separated --scale values to measure the mock at; rates are compared with the first")
	fs.StringVar(&modeList, "modes", modeList, "comma-separated modes: default (default serve flags), quiet (--log-level off --journal-size 0)")
	fs.BoolVar(&opt.bareMix, "bare-mix", false, "also measure bare-mix: a bare handler sending the mock's own answer to each query of the mix")
	serveArgs := ""
	fs.StringVar(&serveArgs, "serve-args", "", `more flags for "bkjob-mock serve", separated by spaces, e.g. "--pprof"`)
	fs.StringVar(&opt.mockLog, "mock-log", "", "append the mock's log to this file (default: discarded)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return opt, err
	}
	if fs.NArg() > 0 {
		return opt, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	opt.extra = strings.Fields(serveArgs)
	var err error
	if opt.scope, err = bkjob.ParseScope(scope); err != nil {
		return opt, fmt.Errorf("--scope: %v", err)
	}
	if _, err := time.Parse(time.RFC3339, opt.now); err != nil {
		return opt, fmt.Errorf("--now: want RFC3339, got %q", opt.now)
	}
	switch {
	case opt.conns < 1 || opt.conns > 1024:
		return opt, fmt.Errorf("--conns must be in 1..1024, got %d", opt.conns)
	case opt.duration <= 0 || opt.duration > time.Minute:
		return opt, fmt.Errorf("--duration must be in (0, 1m], got %v", opt.duration)
	case opt.rounds < 1 || opt.rounds > 9:
		return opt, fmt.Errorf("--rounds must be in 1..9, got %d", opt.rounds)
	case !(opt.floor >= 0 && opt.floor <= 10):
		return opt, fmt.Errorf("--floor must be in [0, 10], got %v", opt.floor)
	case !(opt.maxP99 >= 0):
		return opt, fmt.Errorf("--max-p99 must be 0 or more, got %v", opt.maxP99)
	}
	for s := range strings.SplitSeq(scales, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(v > 0) || v > 1e6 {
			return opt, fmt.Errorf("--scale: want positive numbers separated by commas, got %q", scales)
		}
		opt.scales = append(opt.scales, v)
	}
	for m := range strings.SplitSeq(modeList, ",") {
		m = strings.TrimSpace(m)
		if _, ok := modes[m]; !ok {
			return opt, fmt.Errorf("--modes: unknown mode %q (want default or quiet)", m)
		}
		opt.modes = append(opt.modes, m)
	}
	if _, err := os.Stat(opt.mock); err != nil {
		return opt, fmt.Errorf("--mock: %v (make load builds bin/bkjob-mock)", err)
	}
	return opt, nil
}

// runBare serves the body read from in on --addr and prints where.
func runBare(ctx context.Context, args []string, in io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	mix := fs.Bool("mix", false, "stdin holds a body per path (loadtest.WriteBodies), not one body for all")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var handler http.Handler
	if *mix {
		bodies, err := loadtest.ReadBodies(in)
		if err != nil {
			return err
		}
		if len(bodies) == 0 {
			return errors.New("no bodies on stdin")
		}
		handler = loadtest.BareMix(bodies)
	} else {
		body, err := io.ReadAll(io.LimitReader(in, 16<<20))
		if err != nil {
			return err
		}
		if len(body) == 0 {
			return errors.New("no body on stdin")
		}
		handler = loadtest.Bare(body)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "bare listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
