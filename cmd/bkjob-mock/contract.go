package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/contract"
)

var contractUsage = fmt.Sprintf(`Usage: bkjob-mock contract --base-url URL --auth JSON [flags]

Checks an implementation of GET /api/v4/get_job_instance_list (the real bk-job gateway,
a team's own service, or the mock) against the contract: openapi.yaml and the behaviour
of the real server. Prints a line per check, PASS, FAIL (with the reason and a curl
command that reproduces it) or SKIP (with the reason and its class: "configuration" when it needs a flag you did not give,
"data" when the window lacks what it needs; a check that cannot run is skipped, never
passed), then "N passed, M failed, K skipped: I configuration, J data".

Polite to production: GET requests only, at most %d requests per run (about 75 in
a full run), at most --rate per second, each bounded by --timeout. The secrets of --auth
(bk_app_secret, bk_token, access_token, bk_signature) are masked in every printed
command and report.

--list marks with * the essential checks: when one of them skips for lack of data the
run is inconclusive.

The data checks query the 30 days ending one minute before the target's clock (its
Date header), or --from .. --to, and learn what to ask from the answers.

Exit status: 0 every check that ran passed; 1 a check failed; 2 bad usage or a target
that does not answer (the reports are still written, with the error); 3 inconclusive:
nothing failed, but an essential check (the base query, page size, ordering, window
bounds, paging, the filters) skipped for lack of data, so the run proves little; the
last lines say which and what to change. --allow-inconclusive makes 3 exit 0.

Every flag can also be set with the environment variable BKJOB_CONTRACT_<FLAG> (upper
case, dashes as underscores, e.g. BKJOB_CONTRACT_AUTH, which keeps the secret out of the
command line); a flag wins. The same variables drive "go test ./contract -run TestContract".

Flags:
`, contract.DefaultMaxRequests)

// runContract runs the contract suite. Its exit codes: 0 every check that ran
// passed, 1 a check failed, 2 bad usage or an unreachable target.
func runContract(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("contract", flag.ContinueOnError)
	cfg := contract.Config{Scope: bkjob.Scope{Type: bkjob.ScopeBiz, ID: "2"}}
	var (
		hosts     string
		junitFile string
		jsonFile  string
		list      bool
		allowInc  bool
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
	fs.BoolVar(&list, "list", false, "list the checks (those --only and --skip select) and exit")
	fs.Var(patternsFlag{&cfg.Only}, "only", "run only the checks matching `PATTERNS`, comma-separated: a group (semantics), a name, a prefix (semantics/filter) or a glob (*/job_instance_id/*); repeatable")
	fs.Var(patternsFlag{&cfg.Skip}, "skip", "leave out the checks matching `PATTERNS` (as --only); repeatable")
	fs.BoolVar(&allowInc, "allow-inconclusive", false, "exit 0, not 3, when essential checks skipped for lack of data")

	if err := parseFlags(fs, args, getenv, "BKJOB_CONTRACT_"); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, contractUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return err
	}
	if list {
		for _, p := range append(append([]string(nil), cfg.Only...), cfg.Skip...) {
			if len(contract.Select([]string{p}, nil)) == 0 {
				return usagef("--only/--skip: no check matches %q", p)
			}
		}
		for _, c := range contract.Select(cfg.Only, cfg.Skip) {
			mark := " "
			if c.Essential {
				mark = "*"
			}
			fmt.Fprintf(stdout, "%-52s %s %s\n", c.Name, mark, c.Doc)
		}
		return nil
	}
	switch {
	case cfg.BaseURL == "":
		return usagef("--base-url is required")
	case cfg.Auth == "":
		return usagef("--auth is required (or BKJOB_CONTRACT_AUTH)")
	case cfg.Rate < 0:
		return usagef("--rate must not be negative")
	case cfg.Timeout <= 0:
		return usagef("--timeout must be positive")
	}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.Hosts = append(cfg.Hosts, h)
		}
	}
	// Open the report files first: a bad path is a usage error, found before any request.
	var reports []*reportFile
	discard := func() {
		for _, r := range reports {
			r.f.Close()
			os.Remove(r.f.Name())
		}
	}
	for _, r := range []struct {
		path  string
		write func(io.Writer, *contract.Result) error
	}{{junitFile, contract.WriteJUnit}, {jsonFile, contract.WriteJSON}} {
		if r.path == "" {
			continue
		}
		f, err := os.Create(r.path)
		if err != nil {
			discard()
			return usageError(err)
		}
		reports = append(reports, &reportFile{f, r.write})
	}

	res, err := contract.Run(ctx, cfg, &contract.TextReporter{W: stdout})
	var errs []error
	switch {
	case err != nil && res == nil:
		cerr := contractError(err)
		var ee *exitError
		if !errors.As(cerr, &ee) || ee.usage {
			discard() // a bad configuration: no run, no report
			return cerr
		}
		// An unreachable target: the reports say so, for the CI step that uploads them.
		res = contract.FailedStart(cfg, err)
		errs = append(errs, cerr)
	case err != nil: // interrupted: the reports hold what ran
		errs = append(errs, err)
	}
	for _, r := range reports {
		if err := r.write(r.f, res); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", r.f.Name(), err))
		}
		if err := r.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", r.f.Name(), err))
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	switch res.Verdict() {
	case contract.VerdictFail:
		return &exitError{code: exitFailure} // the failures are on stdout
	case contract.VerdictInconclusive:
		if allowInc {
			fmt.Fprintln(stdout, "accepted as a pass: --allow-inconclusive")
			return nil
		}
		return &exitError{code: exitInconclusive} // the reason is on stdout
	}
	return nil
}

// contractError classifies an error of contract.Run that left no result: a bad
// configuration is a usage error, an unreachable target exits 2 as well, and
// anything else is a runtime error.
func contractError(err error) error {
	var cerr *contract.ConfigError
	switch {
	case errors.As(err, &cerr):
		return usageError(err)
	case errors.Is(err, contract.ErrUnreachable):
		return &exitError{code: exitUsage, err: err}
	default:
		return err
	}
}

type reportFile struct {
	f     *os.File
	write func(io.Writer, *contract.Result) error
}

// patternsFlag collects comma-separated patterns, flag after flag.
type patternsFlag struct{ dst *[]string }

func (f patternsFlag) String() string {
	if f.dst == nil {
		return ""
	}
	return strings.Join(*f.dst, ",")
}

func (f patternsFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*f.dst = append(*f.dst, p)
		}
	}
	return nil
}
