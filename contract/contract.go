// Package contract checks an implementation of BlueKing Job's
// GET /api/v4/get_job_instance_list against its contract: openapi.yaml and the
// behaviour of the real server (request rules, semantics, gateway and
// permissions). It talks to the target over HTTP only, so the same checks run
// against the real bk-job gateway, a team's own implementation or the mock.
//
// The checks discover what they need from the target's own data, send GET
// requests only, at most Config.MaxRequests of them per run (150 by default),
// and report a check that cannot run (no data in the window, no forbidden
// scope given) as skipped, never as passed.
//
// Two ways to run them give the same results: Run (the bkjob-mock contract
// command), and a Suite driven check by check from a test (see
// contract_test.go: each check is a subtest).
package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// DefaultMaxRequests bounds the requests of a run unless Config.MaxRequests
// says otherwise. A full run sends about half as many.
const DefaultMaxRequests = 150

// Defaults of Config.
const (
	DefaultTimeout = 10 * time.Second
	DefaultWindow  = 30 * 24 * time.Hour
)

// Config says what the suite checks and how politely.
type Config struct {
	// BaseURL is where the API lives: scheme://host[:port][/prefix]. The API
	// paths (/api/v4/...) are appended to it, so a gateway stage prefix works.
	BaseURL string
	// Auth is the X-Bkapi-Authorization header: a JSON object with bk_app_code,
	// bk_app_secret (or bk_signature) and, for the user API, bk_username (or
	// bk_token, access_token). Secrets are masked in everything the suite prints.
	Auth string
	// Scope is the scope under test; the user in Auth must be allowed to read it.
	Scope bkjob.Scope
	// ForbiddenScope is an existing scope the user may not read (403); optional.
	ForbiddenScope bkjob.Scope
	// MissingScope is a scope that does not exist (404); optional.
	MissingScope bkjob.Scope
	// OtherScope is another scope the user may read; optional. It lets the suite
	// check that job_instance_id keeps to its scope (so does ForbiddenScope with System).
	OtherScope bkjob.Scope
	// Hosts are IPv4 addresses known to be involved in the scope's tasks; optional.
	// They enable the positive check of the ip filter.
	Hosts []string
	// System also exercises the system API (/api/v4/system/get_job_instance_list).
	System bool
	// From and To fix the time window; zero means the 30 days ending one minute
	// before the target's clock (its Date header, else the local clock).
	From, To time.Time
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Rate caps the requests per second; 0 means no cap.
	Rate float64
	// MaxRequests bounds the requests of a run; 0 means DefaultMaxRequests.
	MaxRequests int
	// HTTPClient sends the requests; nil means a plain client.
	HTTPClient *http.Client
	// Only and Skip select the checks to run: a pattern is a group
	// ("semantics"), a check name, a prefix of names ending before a slash
	// ("semantics/filter"), or a glob where * matches any run, slashes
	// included ("*/job_instance_id/*"). A check runs when Only is empty or
	// one of its patterns matches, and no pattern of Skip matches. A pattern
	// that matches no check is a configuration error.
	Only, Skip []string

	spec []byte // openapi.yaml; nil means bkjob.OpenAPISpec (tests override it)
}

// ErrUnreachable is returned (wrapped) by Suite.Start and Run when the target
// does not answer HTTP at all.
var ErrUnreachable = errors.New("target unreachable")

// ConfigError is a problem with a Config: the caller's mistake, not the target's.
type ConfigError struct{ msg string }

func (e *ConfigError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &ConfigError{fmt.Sprintf(format, args...)}
}

// check validates cfg and fills in defaults.
func (cfg *Config) check() error {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErrorf("base URL %q: want http(s)://host[:port][/prefix]", cfg.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return configErrorf("base URL %q: no query or fragment, please", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	var auth map[string]any
	if err := json.Unmarshal([]byte(cfg.Auth), &auth); err != nil || auth == nil {
		return configErrorf(`auth: want the X-Bkapi-Authorization JSON object, e.g. {"bk_app_code":"demo","bk_app_secret":"...","bk_username":"admin"}`)
	}
	if cfg.Scope.Type == "" || cfg.Scope.ID == "" {
		return configErrorf("scope: want TYPE:ID, e.g. biz:2")
	}
	if cfg.From.IsZero() != cfg.To.IsZero() {
		return configErrorf("window: give both from and to, or neither")
	}
	if !cfg.From.IsZero() && cfg.From.After(cfg.To) {
		return configErrorf("window: from is after to")
	}
	if cfg.Timeout < 0 || cfg.Rate < 0 || cfg.MaxRequests < 0 {
		return configErrorf("timeout, rate and max requests must not be negative")
	}
	for _, p := range append(append([]string(nil), cfg.Only...), cfg.Skip...) {
		if !matchesAny(p) {
			return configErrorf("no check matches %q: see the list of checks (bkjob-mock contract --list)", p)
		}
	}
	if len(Select(cfg.Only, cfg.Skip)) == 0 {
		return configErrorf("the selection (only %v, skip %v) leaves no check to run", cfg.Only, cfg.Skip)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRequests == 0 {
		cfg.MaxRequests = DefaultMaxRequests
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.spec == nil {
		cfg.spec = bkjob.OpenAPISpec
	}
	return nil
}

// Status is the outcome of a check.
type Status string

// Outcomes of a check.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// SkipClass says why a check was skipped.
type SkipClass string

// Classes of skips.
const (
	// SkipConfiguration: the check needs something the user did not give
	// (--ip, --system, --other-scope, a larger --max-requests).
	SkipConfiguration SkipClass = "configuration"
	// SkipData: the target's data in the window lacks what the check needs
	// (enough tasks, ties, a second operator).
	SkipData SkipClass = "data"
	// SkipInterrupted: the run was stopped before the check could run.
	SkipInterrupted SkipClass = "interrupted"
	// SkipTraffic: no answer a proxy saw exercised the rule (see Tally). It
	// makes a run inconclusive only when no check ran at all.
	SkipTraffic SkipClass = "traffic"
)

// CheckResult is what one check found.
type CheckResult struct {
	Name      string        `json:"name"`  // e.g. rules/missing/create_time_start
	Group     string        `json:"group"` // conformance, rules, semantics, gateway, permissions, system
	Status    Status        `json:"status"`
	SkipClass SkipClass     `json:"skip_class,omitempty"` // why it was skipped
	Essential bool          `json:"essential,omitempty"`  // a skip for data makes the run inconclusive
	Reason    string        `json:"reason,omitempty"`     // why it failed or was skipped
	Curl      string        `json:"curl,omitempty"`       // reproduces a failure; secrets masked
	Requests  int           `json:"requests"`             // requests the check sent
	Duration  time.Duration `json:"-"`
}

// Result is the outcome of a run.
type Result struct {
	BaseURL  string        `json:"base_url"`
	Scope    string        `json:"scope"`
	From     time.Time     `json:"window_from"`
	To       time.Time     `json:"window_to"`
	Clock    string        `json:"clock"` // where the window came from
	Notes    []string      `json:"notes,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"`
	Requests int           `json:"requests"`
	Checks   []CheckResult `json:"checks"`
	// Error is why the run could not start (an unreachable target); no
	// check ran then.
	Error string `json:"error,omitempty"`
	// Deselected counts the checks Config.Only and Config.Skip left out.
	Deselected int `json:"deselected,omitempty"`
}

// FailedStart returns the result of a run that could not start, an
// unreachable target say: no check ran, and Error says why. Reports written
// from it tell a CI what happened.
func FailedStart(cfg Config, err error) *Result {
	return &Result{
		BaseURL: strings.TrimRight(cfg.BaseURL, "/"),
		Scope:   cfg.Scope.String(),
		Started: time.Now(),
		Checks:  []CheckResult{},
		Error:   err.Error(),
	}
}

// Verdict is the outcome of a run.
type Verdict string

// Verdicts of a run, each with its exit code in the bkjob-mock contract command.
const (
	VerdictPass         Verdict = "pass"         // every check that ran passed (exit 0)
	VerdictFail         Verdict = "fail"         // a check failed (exit 1)
	VerdictError        Verdict = "error"        // the run could not start: unreachable target (exit 2)
	VerdictInconclusive Verdict = "inconclusive" // nothing failed, but essential checks skipped for data (exit 3)
)

// Verdict returns the outcome of the run: an error, a failure, inconclusive
// (nothing failed but an essential check skipped for lack of data, so a
// green run would say little), else a pass.
func (r *Result) Verdict() Verdict {
	switch {
	case r.Error != "":
		return VerdictError
	case r.Failed():
		return VerdictFail
	case len(r.Inconclusive()) > 0:
		return VerdictInconclusive
	}
	return VerdictPass
}

// Inconclusive returns the essential checks that skipped for lack of data,
// and for lack of traffic when no check ran at all.
func (r *Result) Inconclusive() []CheckResult {
	passed, failed, _ := r.Counts()
	none := passed+failed == 0
	var out []CheckResult
	for _, c := range r.Checks {
		if c.Status == Skip && c.Essential && (c.SkipClass == SkipData || c.SkipClass == SkipTraffic && none) {
			out = append(out, c)
		}
	}
	return out
}

// SkipCounts returns how many checks skipped, by class.
func (r *Result) SkipCounts() map[SkipClass]int {
	out := map[SkipClass]int{}
	for _, c := range r.Checks {
		if c.Status == Skip {
			out[c.SkipClass]++
		}
	}
	return out
}

// Counts returns how many checks passed, failed and were skipped.
func (r *Result) Counts() (passed, failed, skipped int) {
	for _, c := range r.Checks {
		switch c.Status {
		case Pass:
			passed++
		case Fail:
			failed++
		case Skip:
			skipped++
		}
	}
	return
}

// Failed reports whether any check failed.
func (r *Result) Failed() bool {
	_, failed, _ := r.Counts()
	return failed > 0
}

// Reporter receives each check's result as soon as it is known.
type Reporter interface {
	Start(s *Suite)
	Check(r CheckResult)
	Done(r *Result)
}

// Run runs every check against the target in order and returns the result.
// The error is a *ConfigError for a bad cfg, wraps ErrUnreachable when the
// target does not answer, and is nil otherwise, whatever the checks found.
// rep may be nil.
func Run(ctx context.Context, cfg Config, rep Reporter) (*Result, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	if rep != nil {
		rep.Start(s)
	}
	for _, c := range s.Checks() {
		r := s.RunCheck(ctx, c.Name)
		if rep != nil {
			rep.Check(r)
		}
		if ctx.Err() != nil {
			break
		}
	}
	res := s.Result()
	if rep != nil {
		rep.Done(res)
	}
	return res, ctx.Err()
}
