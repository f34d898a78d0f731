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
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/bkjob-mock/bkjob-mock/contract"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

const proxyUsage = `Usage: bkjob-mock proxy --upstream URL [--addr 127.0.0.1:8080] [--json FILE] [--junit FILE] [flags]

Forwards every request but /__mock/ to the upstream (the real gateway, your own service,
a mock) unchanged, X-Bkapi-Authorization included, and passes its answer back unchanged.
Each answer of GET /api/v4/get_job_instance_list and /api/v4/system/get_job_instance_list
is checked against everything one answer can show of the contract: openapi.yaml, the
job_request_id, the fields by status, the page size, the window, the scope, the order
and the filters of its request; the findings carry the names of the contract suite's
checks (bkjob-mock contract --list). They go to the journal and the admin page at
/__mock/ (column "contract", filter "with findings"), like serve's.

On SIGINT or SIGTERM the proxy stops, writes --json and --junit in the shapes of
bkjob-mock contract (one case per rule: passed when some answer exercised it and none
broke it, failed when one broke it, skipped for "traffic" when no answer exercised it),
and prints a summary line to stderr.

An upstream that gives no answer gets the client the gateway's 502, one slower than
--upstream-timeout its 504 (X-Mock-Error: upstream-unreachable, upstream-timeout).

Exit status: 0 every rule the traffic exercised passed; 1 a rule was broken; 2 bad usage;
3 inconclusive: no answer was checked.

Every flag can also be set with the environment variable BKJOB_MOCK_<FLAG> (upper case,
dashes as underscores, e.g. BKJOB_MOCK_UPSTREAM); a flag wins.

Flags:
`

// Bounds of the proxy's own flags.
const (
	maxUpstreamTimeout = 10 * time.Minute
	minInspectBytes    = 64 << 10
	maxInspectBytes    = 64 << 20
)

// proxyFlags are the options of "proxy".
type proxyFlags struct {
	upstream     string
	addr         string
	jsonFile     string
	junitFile    string
	timeout      time.Duration
	inspectBytes byteSize
	corsOrigin   string
	logLevel     string
	journal      int
	journalMax   byteSize
	adminToken   string
}

func (f *proxyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.upstream, "upstream", "", "where the API lives, `URL` http(s)://host[:port][/stage prefix]; the request's path is appended (required)")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on; port 0 picks a free port")
	fs.StringVar(&f.jsonFile, "json", "", "on exit, write a JSON report to `FILE` (the shape of bkjob-mock contract --json)")
	fs.StringVar(&f.junitFile, "junit", "", "on exit, write a JUnit XML report to `FILE`")
	fs.DurationVar(&f.timeout, "upstream-timeout", mock.DefaultUpstreamTimeout, fmt.Sprintf("the most time one exchange with the upstream may take, up to %v; past it the client gets the gateway's 504", maxUpstreamTimeout))
	f.inspectBytes = mock.DefaultInspectBytes
	fs.Var(&f.inspectBytes, "inspect-bytes", fmt.Sprintf("the most bytes of one answer read for inspection, from %s to %s; a longer answer is passed on uninspected", byteSize(minInspectBytes), byteSize(maxInspectBytes)))
	fs.StringVar(&f.corsOrigin, "cors-origin", "", "allow browsers from these origins: comma-separated ORIGIN, scheme://host:* (any port) or *; off for none (default "+mock.DefaultCORSOrigins+")")
	fs.StringVar(&f.logLevel, "log-level", "info", "request log level: debug, info, warn, error or off")
	fs.IntVar(&f.journal, "journal-size", mock.DefaultJournalSize, fmt.Sprintf("how many requests the journal (GET /__mock/requests) keeps, at most %d; 0 for none", maxJournalSize))
	f.journalMax = mock.DefaultJournalBytes
	fs.Var(&f.journalMax, "journal-bytes", fmt.Sprintf("the most memory the journal holds, from %s to %s", byteSize(minJournalBytes), byteSize(maxJournalBytes)))
	fs.StringVar(&f.adminToken, "admin-token", "", "let admin API writes come from any address with this token (Authorization: Bearer TOKEN); default: loopback only")
}

// upstreamURL checks --upstream.
func (f *proxyFlags) upstreamURL() (*url.URL, error) {
	if f.upstream == "" {
		return nil, usagef("--upstream is required (or BKJOB_MOCK_UPSTREAM)")
	}
	u, err := url.Parse(f.upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--upstream %q: want http(s)://host[:port][/prefix]", f.upstream)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, usagef("--upstream %q: no query or fragment, please", f.upstream)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// check checks the flags but --upstream.
func (f *proxyFlags) check() error {
	switch {
	case f.timeout <= 0 || f.timeout > maxUpstreamTimeout:
		return usagef("--upstream-timeout must be more than 0 and at most %v, got %v", maxUpstreamTimeout, f.timeout)
	case f.inspectBytes < minInspectBytes || f.inspectBytes > maxInspectBytes:
		return usagef("--inspect-bytes must be from %s to %s, got %s", byteSize(minInspectBytes), byteSize(maxInspectBytes), f.inspectBytes)
	case f.journal < 0 || f.journal > maxJournalSize:
		return usagef("--journal-size must be from 0 to %d, got %d", maxJournalSize, f.journal)
	case f.journalMax < minJournalBytes || f.journalMax > maxJournalBytes:
		return usagef("--journal-bytes must be from %s to %s, got %s", byteSize(minJournalBytes), byteSize(maxJournalBytes), f.journalMax)
	}
	return nil
}

// runProxy runs the proxy until ctx ends, then writes the reports. Its exit
// codes are the contract's: 0 every rule exercised passed, 1 a rule was
// broken, 2 bad usage, 3 no answer was checked.
func runProxy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	var f proxyFlags
	f.register(fs)
	if err := parseFlags(fs, args, getenv, "BKJOB_MOCK_"); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, proxyUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return err
	}
	upstream, err := f.upstreamURL()
	if err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	logw := newLogWriter(stderr, logFlushDelay) // flushed before the summary line
	defer logw.Close()
	logger, err := newLogger(f.logLevel, logw)
	if err != nil {
		return err
	}
	inspector, err := contract.NewInspector()
	if err != nil {
		return err
	}
	tally := contract.NewTally()
	handler, err := mock.New(mock.Config{
		Logger:       logger,
		CORSOrigin:   f.corsOrigin,
		JournalSize:  f.journal,
		JournalBytes: int64(f.journalMax),
		AdminToken:   f.adminToken,
		Proxy: &mock.ProxyConfig{
			Upstream:     upstream,
			Timeout:      f.timeout,
			InspectBytes: int64(f.inspectBytes),
			Inspect: func(a mock.ProxiedAnswer) []mock.Finding {
				ca := contract.Answer(a)
				ins := inspector.Examine(ca)
				tally.Add(ca, ins)
				out := make([]mock.Finding, len(ins.Findings))
				for i, f := range ins.Findings {
					out[i] = mock.Finding(f)
				}
				return out
			},
			NotInspected: tally.NotExamined,
		},
	})
	if err != nil {
		return usageError(err)
	}

	// Open the report files first: a bad path is a usage error, found before any request.
	var reports []*reportFile
	for _, r := range []struct {
		path  string
		write func(io.Writer, *contract.Result) error
	}{{f.junitFile, contract.WriteJUnit}, {f.jsonFile, contract.WriteJSON}} {
		if r.path == "" {
			continue
		}
		file, err := os.Create(r.path)
		if err != nil {
			for _, r := range reports {
				r.f.Close()
				os.Remove(r.f.Name())
			}
			return usageError(err)
		}
		reports = append(reports, &reportFile{file, r.write})
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		for _, r := range reports {
			r.f.Close()
			os.Remove(r.f.Name())
		}
		return usagef("listen: %v", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      f.timeout + time.Minute, // the upstream's time, then the client's
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	shown := *upstream
	shown.User = nil
	var banner strings.Builder
	fmt.Fprintf(&banner, "bkjob-mock listening on http://%s\n", ln.Addr())
	fmt.Fprintf(&banner, "proxy to %s, upstream timeout %v; each answer of the API checked against %d rules of the contract\n",
		shown.String(), f.timeout, len(contract.AnswerChecks()))
	_, jb := handler.MemoryBound()
	fmt.Fprintf(&banner, "memory bound: journal %s, inspection %s (%d answers at a time, %s each, twice for gzip)\n",
		humanBytes(jb), humanBytes(handler.InspectionBound()), mock.DefaultInspectors, humanBytes(int64(f.inspectBytes)))
	var files []string
	for _, r := range reports {
		files = append(files, r.f.Name())
	}
	if len(files) > 0 {
		fmt.Fprintf(&banner, "reports on exit: %s\n", strings.Join(files, ", "))
	}
	fmt.Fprintf(&banner, "admin page http://%s/__mock/\n", ln.Addr())
	if note := adminWriteNote(ln.Addr(), f.adminToken != ""); note != "" {
		fmt.Fprintln(&banner, note)
	}
	fmt.Fprintf(&banner, "API under / (every path but /__mock/ goes upstream), CORS origins %s\n", handler.CORSOrigins())
	io.WriteString(stdout, banner.String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var errs []error
	select {
	case err := <-errc:
		errs = append(errs, err)
	case <-ctx.Done():
	}
	// Let the answers in flight finish, so that the reports count them.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), f.timeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	fmt.Fprintln(stdout, "bkjob-mock stopped")

	res := tally.Result(shown.String())
	for _, r := range reports {
		if err := r.write(r.f, res); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", r.f.Name(), err))
		}
		if err := r.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", r.f.Name(), err))
		}
	}
	logw.Close()
	fmt.Fprintln(stderr, proxySummary(tally, res))
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	switch res.Verdict() {
	case contract.VerdictFail:
		return &exitError{code: exitFailure}
	case contract.VerdictInconclusive:
		return &exitError{code: exitInconclusive}
	}
	return nil
}

// proxySummary is the line the proxy prints on exit: the answers, the
// checks as contract counts them, the verdict and the broken rules.
func proxySummary(t *contract.Tally, res *contract.Result) string {
	examined, not := t.Answers()
	line := fmt.Sprintf("bkjob-mock proxy: %d answers checked, %d not; %s; %s", examined, not, res.Summary(), res.Verdict())
	var failed []string
	for _, c := range res.Checks {
		if c.Status == contract.Fail {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) > 0 {
		line += ": " + strings.Join(failed, ", ")
	}
	if res.Verdict() == contract.VerdictInconclusive {
		line += ": no answer of the API was checked"
	}
	return line
}
