package contract

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	apispec "github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// Tally adds up what Examine found in many answers, those a proxy passes on,
// into a Result of the suite's shape: one check per rule of AnswerChecks,
// passed when some answer exercised the rule and none broke it, failed when
// one broke it, skipped (class traffic) when no answer exercised it. A run in
// which no check ran is inconclusive (see Result.Inconclusive), so a proxy
// that saw no traffic never looks green.
//
// It is safe for concurrent use and holds a fixed amount per rule (counts and
// the first finding with its request), whatever the traffic.
type Tally struct {
	mu      sync.Mutex
	started time.Time
	answers int            // answers examined
	passed  int            // answers passed on without being examined
	why     map[string]int // ... by reason, at most maxReasons of them
	checks  map[string]*tallied
}

type tallied struct {
	exercised int // answers that exercised the rule
	broken    int // ... and broke it
	first     string
	curl      string
}

// maxReasons bounds the reasons kept for answers not examined; the rest
// count under "other".
const maxReasons = 16

// NewTally returns an empty tally whose run starts now.
func NewTally() *Tally {
	t := &Tally{started: time.Now(), why: map[string]int{}, checks: map[string]*tallied{}}
	for _, c := range AnswerChecks() {
		t.checks[c.Name] = &tallied{}
	}
	return t
}

// Add counts one answer and what Examine found in it.
func (t *Tally) Add(a Answer, ins Inspection) {
	var curl string
	if len(ins.Findings) > 0 {
		curl = curlOf(a)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answers++
	for _, name := range ins.Checked {
		if c := t.checks[name]; c != nil {
			c.exercised++
		}
	}
	for _, f := range ins.Findings {
		c := t.checks[f.Check]
		if c == nil {
			continue
		}
		c.broken++
		if c.first == "" {
			c.first, c.curl = f.Message, curl
		}
	}
}

// NotExamined counts an answer passed on without examination, and why (a
// body over the budget, an upstream that did not answer).
func (t *Tally) NotExamined(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.passed++
	if _, ok := t.why[reason]; !ok && len(t.why) >= maxReasons {
		reason = "other"
	}
	t.why[reason]++
}

// Answers returns how many answers were examined and how many were not.
func (t *Tally) Answers() (examined, notExamined int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.answers, t.passed
}

// Result returns the tally as the result of a run against upstream (a URL,
// as the report's base_url), from the tally's start until now.
func (t *Tally) Result(upstream string) *Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	res := &Result{
		BaseURL: strings.TrimRight(upstream, "/"), Started: t.started, Duration: now.Sub(t.started),
		From: t.started, To: now, Clock: "the proxy's run: each answer is checked against its own request",
		Requests: t.answers, Checks: []CheckResult{},
	}
	res.Notes = append(res.Notes, fmt.Sprintf("proxy: %d answers examined, %d passed on without examination", t.answers, t.passed))
	reasons := make([]string, 0, len(t.why))
	for r := range t.why {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		res.Notes = append(res.Notes, fmt.Sprintf("not examined: %d answer(s): %s", t.why[r], r))
	}
	for _, info := range AnswerChecks() {
		c := t.checks[info.Name]
		cr := CheckResult{Name: info.Name, Group: info.Group, Essential: info.Essential, Requests: c.exercised}
		switch {
		case c.broken > 0:
			cr.Status, cr.Curl = Fail, c.curl
			cr.Reason = fmt.Sprintf("%s\n%d of the %d answers that exercised the rule broke it", c.first, c.broken, c.exercised)
		case c.exercised > 0:
			cr.Status = Pass
		default:
			cr.Status, cr.SkipClass = Skip, SkipTraffic
			cr.Reason = "no answer exercised the rule: " + info.Doc
			if t.answers == 0 {
				cr.Reason = "no answer was examined: the proxy saw no API traffic"
			}
		}
		res.Checks = append(res.Checks, cr)
	}
	return res
}

// curlHeaders are request headers that say nothing about the answer, left
// out of the curl command that reproduces a finding.
var curlHeaders = []string{"Accept-Encoding", "Connection", "Content-Length", "User-Agent"}

// curlOf returns a shell command that repeats a's request, its secrets
// masked as the journal masks them; "" without a URL.
func curlOf(a Answer) string {
	if a.URL == "" {
		return ""
	}
	h := apispec.MaskHeader(a.Header)
	keys := make([]string, 0, len(h))
	for k := range h {
		if !slices.Contains(curlHeaders, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("curl -sS")
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(" -H " + apispec.ShellQuote(k+": "+v))
		}
	}
	u := a.URL
	if base, query, ok := strings.Cut(u, "?"); ok {
		u = base + apispec.MaskURL("?"+query)
	}
	b.WriteString(" " + apispec.ShellQuote(u))
	return apispec.MaskEchoed(b.String(), a.Header.Get(authHeader))
}
