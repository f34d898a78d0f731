package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// checkDef is one check of the registry.
type checkDef struct {
	name string
	doc  string
	run  func(t *checker)
}

// essentialChecks are the checks of the core semantics (the base query, page
// size, ordering, window bounds, paging, the filters) without which a run
// says little about a target: when one skips for lack of data, the run is
// inconclusive. The ip filter is not among them: its positive check needs
// --ip, and its negative one needs no data.
var essentialChecks = map[string]bool{
	"semantics/times/plausible":              true,
	"semantics/base_query":                   true,
	"semantics/default_length":               true,
	"semantics/length_honoured":              true,
	"semantics/order/create_time_desc":       true,
	"semantics/window/inclusive_bounds":      true,
	"semantics/window/start_after_end_empty": true,
	"semantics/window/items_inside":          true,
	"semantics/paging/concat":                true,
	"semantics/paging/walk":                  true,
	"semantics/filter/operator":              true,
	"semantics/filter/name":                  true,
	"semantics/filter/status":                true,
	"semantics/filter/type":                  true,
	"semantics/filter/launch_mode":           true,
	"semantics/filter/job_cron_id":           true,
	"semantics/job_instance_id/exact":        true,
}

// CheckInfo describes a check.
type CheckInfo struct {
	Name  string // stable, e.g. semantics/order/create_time_desc
	Group string // the part before the first slash
	Doc   string // what the check verifies, one line
	// Essential checks must run: when one skips for lack of data, the run is
	// inconclusive.
	Essential bool
}

// Suite is the contract suite bound to one target. Start it, then run its
// checks in the order Checks gives (later checks reuse what earlier ones
// learnt; run alone, a check learns it itself).
type Suite struct {
	cfg    Config
	spec   *spec
	client *client
	defs   []checkDef
	byName map[string]int

	mu      sync.Mutex
	started time.Time
	from    int64 // window, Unix ms, inclusive
	to      int64
	clock   string    // where the window came from, in plain words
	now     time.Time // the target's clock at the start: its Date header, else ours
	newest  []item    // the newest task of all time, from the first request
	firstEx *exchange // that first request
	notes   []string  // what the user should know about the run
	results []CheckResult

	sampleMu sync.Mutex // held while the sample is learnt
	sample   *sample
}

// New checks cfg, loads openapi.yaml and returns a suite ready to Start.
func New(cfg Config) (*Suite, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	sp, err := loadSpec(cfg.spec)
	if err != nil {
		return nil, err
	}
	s := &Suite{cfg: cfg, spec: sp, byName: map[string]int{}}
	s.client = newClient(&s.cfg, sp.validate)
	s.defs = registry()
	for i, d := range s.defs {
		s.byName[d.name] = i
	}
	return s, nil
}

// Checks lists the checks the suite runs, in order: those Config.Only and
// Config.Skip select.
func (s *Suite) Checks() []CheckInfo { return Select(s.cfg.Only, s.cfg.Skip) }

// Select returns the checks that only and skip select (see Config.Only), in
// the order they run.
func Select(only, skip []string) []CheckInfo {
	var out []CheckInfo
	for _, c := range Checks() {
		in := len(only) == 0
		for _, p := range only {
			in = in || matchCheck(p, c.Name)
		}
		for _, p := range skip {
			in = in && !matchCheck(p, c.Name)
		}
		if in {
			out = append(out, c)
		}
	}
	return out
}

// matchCheck reports whether pattern p selects the check named name.
func matchCheck(p, name string) bool {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == name || strings.HasPrefix(name, p+"/") {
		return true
	}
	if !strings.ContainsAny(p, "*?") {
		return false
	}
	var b strings.Builder
	b.WriteString("^")
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	ok, _ := regexp.MatchString(b.String(), name)
	return ok
}

func matchesAny(p string) bool {
	for _, c := range Checks() {
		if matchCheck(p, c.Name) {
			return true
		}
	}
	return false
}

// Checks lists every check of the suite in the order they run.
func Checks() []CheckInfo {
	defs := registry()
	out := make([]CheckInfo, len(defs))
	for i, d := range defs {
		out[i] = CheckInfo{Name: d.name, Group: groupOf(d.name), Doc: d.doc, Essential: essentialChecks[d.name]}
	}
	return out
}

func groupOf(name string) string {
	g, _, _ := strings.Cut(name, "/")
	return g
}

// Start checks that the target answers and fixes the time window: Config.From
// and Config.To if set, else the 30 days ending one minute before the
// target's clock, read from the Date header of a first request. That request
// asks for the newest task of all time (the API accepts any span): when it
// lies outside that window, as with a mock whose clock is pinned, the window
// ends at it instead, but only when its create_time is plausible Unix
// milliseconds; an implausible one is a finding of semantics/times/plausible,
// never a reason to move the window. The error wraps ErrUnreachable when the
// target does not answer HTTP.
func (s *Suite) Start(ctx context.Context) error {
	s.mu.Lock()
	s.started = time.Now()
	s.mu.Unlock()
	q := pageParams(scopeParams(s.cfg.Scope, 0, math.MaxInt64), 0, 1)
	ex, _, err := s.client.do(ctx, "preflight", request{query: q})
	if err != nil {
		return err
	}
	if ex.err != nil {
		return fmt.Errorf("%w: GET %s: %v", ErrUnreachable, s.client.mask(ex.url), ex.err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	newest, err := parseList(ex)
	if err != nil {
		s.notes = append(s.notes, fmt.Sprintf("the first query of scope %s answers %s: are the scope and the auth right?", s.cfg.Scope, describe(ex)))
	}
	s.newest, s.firstEx = newest, ex
	clock, source := time.Now(), "the local clock, as the target sent no Date header"
	if d, err := http.ParseTime(ex.respHdr.Get("Date")); err == nil {
		clock, source = d, "the target's clock, read from its Date header"
	}
	s.now = clock
	if !s.cfg.From.IsZero() {
		s.from, s.to, s.clock = s.cfg.From.UnixMilli(), s.cfg.To.UnixMilli(), "the given --from and --to"
		return nil
	}
	s.setWindow(clock.Add(-time.Minute), source)
	if len(newest) != 1 {
		return nil
	}
	ct := newest[0].CreateTime
	switch {
	case implausible(ct, clock) != "":
		s.clock = fmt.Sprintf("%s; not the newest task, whose create_time %d is implausible (see semantics/times/plausible)", source, ct)
	case ct < s.from || ct > clock.Add(5*time.Minute).UnixMilli():
		s.setWindow(time.UnixMilli(ct), fmt.Sprintf("the newest task, created %s, as the target's clock (%s) does not match its data: is the target's clock pinned?",
			time.UnixMilli(ct).UTC().Format(time.RFC3339), clock.UTC().Format(time.RFC3339)))
	}
	return nil
}

// minPlausible is 2000-01-01T00:00:00Z in Unix ms: no task of the API is
// older, and a time in seconds looks older.
const minPlausible = 946684800000

// implausible says what is wrong with ms as a task's time in Unix
// milliseconds, the target's clock being now; "" if nothing.
func implausible(ms int64, now time.Time) string {
	maxOK := now.Add(24 * time.Hour).UnixMilli()
	switch {
	case ms < minPlausible:
		if ms*1000 >= minPlausible && ms*1000 <= maxOK {
			return fmt.Sprintf("%s is before 2000: seconds, not milliseconds?", fmtInstant(ms))
		}
		return fmt.Sprintf("%s is before 2000", fmtInstant(ms))
	case ms > maxOK:
		if ms/1000 >= minPlausible && ms/1000 <= maxOK {
			return fmt.Sprintf("%s is more than a day after the target's clock: microseconds, not milliseconds?", fmtInstant(ms))
		}
		return fmt.Sprintf("%s is more than a day after the target's clock (%s)", fmtInstant(ms), now.UTC().Format(time.RFC3339))
	}
	return ""
}

func fmtInstant(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// setWindow makes the window the DefaultWindow ending at end. Callers hold s.mu.
func (s *Suite) setWindow(end time.Time, source string) {
	s.to = end.UnixMilli()
	s.from = end.Add(-DefaultWindow).UnixMilli()
	s.clock = source
}

// Window returns the time window the checks query and where it came from.
func (s *Suite) Window() (from, to time.Time, source string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.UnixMilli(s.from), time.UnixMilli(s.to), s.clock
}

func (s *Suite) window() (int64, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.from, s.to
}

// Notes returns what the user should know about the run, e.g. that the
// scope under test answers 403.
func (s *Suite) Notes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.notes...)
}

// Config returns the suite's configuration, defaults filled in.
func (s *Suite) Config() Config { return s.cfg }

// RunCheck runs the named check and returns its result; an unknown name fails.
func (s *Suite) RunCheck(ctx context.Context, name string) CheckResult {
	i, ok := s.byName[name]
	if !ok {
		return CheckResult{Name: name, Group: groupOf(name), Status: Fail, Reason: "no such check"}
	}
	def := s.defs[i]
	t := &checker{ctx: ctx, s: s, name: def.name}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				t.fail(nil, fmt.Sprintf("internal error in the check: %v", r))
			}
		}()
		if err := ctx.Err(); err != nil {
			t.skip(SkipInterrupted, fmt.Sprintf("not run: %v", err))
		}
		def.run(t)
	}()
	<-done
	t.attributeConformance()
	r := CheckResult{
		Name:      def.name,
		Group:     groupOf(def.name),
		Status:    Pass,
		Essential: essentialChecks[def.name],
		Requests:  t.requests,
		Duration:  time.Since(start),
	}
	switch {
	case t.failed:
		r.Status, r.Reason, r.Curl = Fail, strings.Join(t.reasons, "\n"), t.curl
	case t.skipped:
		r.Status, r.SkipClass, r.Reason = Skip, t.skipClass, strings.Join(t.reasons, "\n")
	}
	r.Reason = s.client.mask(r.Reason)
	s.mu.Lock()
	s.results = append(s.results, r)
	s.mu.Unlock()
	return r
}

// Result returns the results of the checks run so far.
func (s *Suite) Result() *Result {
	from, to, clock := s.Window()
	s.mu.Lock()
	defer s.mu.Unlock()
	return &Result{
		BaseURL:  s.cfg.BaseURL,
		Scope:    s.cfg.Scope.String(),
		From:     from,
		To:       to,
		Clock:    clock,
		Notes:    append([]string(nil), s.notes...),
		Started:  s.started,
		Duration: time.Since(s.started),
		Requests: s.client.requests(),
		Checks:   append([]CheckResult(nil), s.results...),

		Deselected: len(s.defs) - len(s.Checks()),
	}
}

// checker is what a check works with: it sends requests and records the verdict,
// in the manner of testing.T. fatalf, skipConfigf and skipDataf end the check.
type checker struct {
	ctx       context.Context
	s         *Suite
	name      string
	failed    bool
	skipped   bool
	skipClass SkipClass
	reasons   []string
	curl      string
	requests  int
	exchanges []*exchange // sent by this check
	last      *exchange   // the last exchange the check looked at
}

// do sends r. A request that gets no answer ends the check as failed, one
// over the run's budget ends it as skipped.
func (t *checker) do(r request) *exchange {
	ex, cached, err := t.s.client.do(t.ctx, t.name, r)
	switch {
	case errors.Is(err, errBudget):
		t.skipConfigf("the run's budget of %d requests is used up (raise --max-requests)", t.s.cfg.MaxRequests)
	case err != nil:
		t.skip(SkipInterrupted, fmt.Sprintf("not run: %v", err))
	}
	t.last = ex
	if !cached {
		t.requests++
		t.exchanges = append(t.exchanges, ex)
	}
	if ex.err != nil {
		t.fatalf(ex, "GET %s: no answer: %v", ex.url, ex.err)
	}
	return ex
}

func (t *checker) fail(ex *exchange, msg string) {
	t.failed = true
	t.reasons = append(t.reasons, msg)
	if ex == nil {
		ex = t.last
	}
	if t.curl == "" && ex != nil {
		t.curl = t.s.client.curl(ex)
	}
}

// errorf records a failure shown by ex (nil: the last exchange) and goes on.
func (t *checker) errorf(ex *exchange, format string, args ...any) {
	t.fail(ex, fmt.Sprintf(format, args...))
}

// fatalf records a failure shown by ex (nil: the last exchange) and ends the check.
func (t *checker) fatalf(ex *exchange, format string, args ...any) {
	t.fail(ex, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// skipConfigf ends the check as skipped for configuration, unless it already
// failed: it needs something the user did not give (a flag).
func (t *checker) skipConfigf(format string, args ...any) {
	t.skip(SkipConfiguration, fmt.Sprintf(format, args...))
}

// skipDataf ends the check as skipped for data, unless it already failed: the
// target's data in the window lacks what the check needs.
func (t *checker) skipDataf(format string, args ...any) {
	t.skip(SkipData, fmt.Sprintf(format, args...))
}

func (t *checker) skip(class SkipClass, reason string) {
	if !t.failed {
		t.skipped, t.skipClass = true, class
		t.reasons = append(t.reasons, reason)
	}
	runtime.Goexit()
}

// attributeConformance fails the check when a response it received broke
// openapi.yaml: the conformance checks report the same problem for the run.
func (t *checker) attributeConformance() {
	for _, ex := range t.exchanges {
		if len(ex.problems) == 0 {
			continue
		}
		msg := "the response breaks openapi.yaml: " + ex.problems[0].msg
		if !t.failed {
			t.skipped, t.skipClass = false, ""
			t.reasons = nil
		}
		t.fail(ex, msg)
		return
	}
}

// scopeParams are the four required parameters.
func scopeParams(sc bkjob.Scope, from, to int64) params {
	return params{
		{"bk_scope_type", sc.Type},
		{"bk_scope_id", sc.ID},
		{"create_time_start", fmt.Sprint(from)},
		{"create_time_end", fmt.Sprint(to)},
	}
}

// baseParams are the required parameters for the scope under test and the window.
func (t *checker) baseParams() params {
	from, to := t.s.window()
	return scopeParams(t.s.cfg.Scope, from, to)
}

// authField returns a string field of Config.Auth.
func (s *Suite) authField(key string) string {
	var m map[string]any
	_ = json.Unmarshal([]byte(s.cfg.Auth), &m)
	v, _ := m[key].(string)
	return v
}

// authWithout returns Config.Auth without the given fields.
func (s *Suite) authWithout(keys ...string) string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal([]byte(s.cfg.Auth), &m)
	for _, k := range keys {
		delete(m, k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}
