package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/contract"
)

var contractUsage = fmt.Sprintf(`Usage: bkjob-mock contract --base-url URL --auth JSON [flags]

Checks an implementation of GET /api/v4/get_job_instance_list (the real bk-job gateway,
a team's own service, or the mock) against the contract: openapi.yaml and the behaviour
of the real server. Prints a line per check, PASS, FAIL (with the reason and a curl
command that reproduces it) or SKIP (with the reason: a check that cannot run against
the target is skipped, never passed), then "N passed, M failed, K skipped".

Polite to production: GET requests only, at most %d requests per run (about 75 in
a full run), at most --rate per second, each bounded by --timeout. The secrets of --auth
(bk_app_secret, bk_token, access_token, bk_signature) are masked in every printed
command and report.

The data checks query the 30 days ending one minute before the target's clock (its
Date header), or --from .. --to, and learn what to ask from the answers.

Exit status: 0 every check passed or was skipped, 1 a check failed, 2 bad usage or a
target that does not answer.

Every flag can also be set with the environment variable BKJOB_CONTRACT_<FLAG> (upper
case, dashes as underscores, e.g. BKJOB_CONTRACT_AUTH, which keeps the secret out of the
command line); a flag wins. The same variables drive "go test ./contract -run TestContract".

Flags:
`, contract.DefaultMaxRequests)

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

// runContract runs the contract suite; it returns the exit code
// (0 all passed, 1 a check failed, 2 bad usage or unreachable target).
func runContract(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("contract", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed once, below; --help goes to stdout
	fs.Usage = func() {}
	cfg := contract.Config{Scope: bkjob.Scope{Type: bkjob.ScopeBiz, ID: "2"}}
	var (
		hosts     string
		junitFile string
		jsonFile  string
		list      bool
	)
	fs.StringVar(&cfg.BaseURL, "base-url", "", "where the API lives, `URL` http(s)://host[:port][/stage prefix]; /api/v4/... is appended (required)")
	fs.StringVar(&cfg.Auth, "auth", "", "the X-Bkapi-Authorization `JSON`, e.g. {\"bk_app_code\":\"demo\",\"bk_app_secret\":\"...\",\"bk_username\":\"admin\"} (required)")
	fs.Var(scopeFlag{&cfg.Scope}, "scope", "scope under test, `TYPE:ID`; the user in --auth must be allowed to read it")
	fs.Var(scopeFlag{&cfg.ForbiddenScope}, "forbidden-scope", "an existing scope, `TYPE:ID`, the user may not read: checks 403 NO_PERMISSION")
	fs.Var(scopeFlag{&cfg.MissingScope}, "missing-scope", "a scope, `TYPE:ID`, that does not exist: checks 404 NOT_FOUND")
	fs.Var(scopeFlag{&cfg.OtherScope}, "other-scope", "another scope, `TYPE:ID`, the user may read: checks that job_instance_id keeps to its scope")
	fs.StringVar(&hosts, "ip", "", "`IPS`, comma-separated IPv4 hosts the scope's tasks involve: enables the positive check of the ip filter")
	fs.BoolVar(&cfg.System, "system", false, "also check the system API, /api/v4/system/get_job_instance_list")
	fs.StringVar(&junitFile, "junit", "", "write a JUnit XML report to `FILE`")
	fs.StringVar(&jsonFile, "json", "", "write a JSON report to `FILE`")
	fs.DurationVar(&cfg.Timeout, "timeout", contract.DefaultTimeout, "time limit of each request")
	fs.Float64Var(&cfg.Rate, "rate", 10, "at most this many requests per second; 0 for no limit")
	fs.Var(timeFlag{&cfg.From}, "from", "start of the window, `TIME` as RFC 3339 or Unix ms (with --to; default: 30 days before --to)")
	fs.Var(timeFlag{&cfg.To}, "to", "end of the window, `TIME` as RFC 3339 or Unix ms (with --from; default: a minute before the target's clock)")
	fs.BoolVar(&list, "list", false, "list the checks and exit")

	if err := parseFlags(fs, args, getenv, "BKJOB_CONTRACT_"); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, contractUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		return contractUsageError(stderr, err.Error())
	}
	if list {
		for _, c := range contract.Checks() {
			fmt.Fprintf(stdout, "%-52s %s\n", c.Name, c.Doc)
		}
		return 0
	}
	switch {
	case cfg.BaseURL == "":
		return contractUsageError(stderr, "--base-url is required")
	case cfg.Auth == "":
		return contractUsageError(stderr, "--auth is required (or BKJOB_CONTRACT_AUTH)")
	case cfg.Rate < 0:
		return contractUsageError(stderr, "--rate must not be negative")
	case cfg.Timeout <= 0:
		return contractUsageError(stderr, "--timeout must be positive")
	}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.Hosts = append(cfg.Hosts, h)
		}
	}
	// Open the report files first: a bad path is a usage error, found before any request.
	var reports []*reportFile
	for _, r := range []struct {
		path  string
		write func(io.Writer, *contract.Result) error
	}{{junitFile, contract.WriteJUnit}, {jsonFile, contract.WriteJSON}} {
		if r.path == "" {
			continue
		}
		f, err := os.Create(r.path)
		if err != nil {
			return contractUsageError(stderr, err.Error())
		}
		reports = append(reports, &reportFile{f, r.write})
	}
	discard := func() {
		for _, r := range reports {
			r.f.Close()
			os.Remove(r.f.Name())
		}
	}

	res, err := contract.Run(ctx, cfg, &contract.TextReporter{W: stdout})
	var cerr *contract.ConfigError
	switch {
	case errors.As(err, &cerr):
		discard()
		return contractUsageError(stderr, err.Error())
	case errors.Is(err, contract.ErrUnreachable):
		discard()
		fmt.Fprintln(stderr, "bkjob-mock contract:", err)
		return 2
	case res == nil:
		discard()
		fmt.Fprintln(stderr, "bkjob-mock contract:", err)
		return 1
	}
	code := 0
	if res.Failed() {
		code = 1
	}
	if err != nil { // interrupted: the reports hold what ran
		fmt.Fprintln(stderr, "bkjob-mock contract:", err)
		code = 1
	}
	for _, r := range reports {
		if err := r.write(r.f, res); err != nil {
			fmt.Fprintf(stderr, "bkjob-mock contract: writing %s: %v\n", r.f.Name(), err)
			code = 1
		}
		if err := r.f.Close(); err != nil {
			fmt.Fprintf(stderr, "bkjob-mock contract: writing %s: %v\n", r.f.Name(), err)
			code = 1
		}
	}
	return code
}

type reportFile struct {
	f     *os.File
	write func(io.Writer, *contract.Result) error
}

func contractUsageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "bkjob-mock contract: %s\nRun 'bkjob-mock contract --help' for usage.\n", msg)
	return 2
}
