package contract

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// TextReporter prints a line per check as it finishes, in the manner of
// go test -v, then the summary line "N passed, M failed, K skipped: I
// configuration, J data" and, for an inconclusive run, why and what to change.
type TextReporter struct {
	W io.Writer
}

// Start prints what is checked.
func (r *TextReporter) Start(s *Suite) {
	from, to, source := s.Window()
	cfg := s.Config()
	fmt.Fprintf(r.W, "contract: %s, scope %s, window %s .. %s (from %s)\n", cfg.BaseURL, cfg.Scope,
		from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), source)
	for _, n := range s.Notes() {
		fmt.Fprintf(r.W, "note: %s\n", n)
	}
}

// Check prints one check's result.
func (r *TextReporter) Check(c CheckResult) {
	class := ""
	if c.Status == Skip {
		class = " [" + string(c.SkipClass) + "]"
	}
	fmt.Fprintf(r.W, "--- %s: %s (%.2fs)%s\n", strings.ToUpper(string(c.Status)), c.Name, c.Duration.Seconds(), class)
	if c.Status == Pass {
		return
	}
	for _, line := range strings.Split(c.Reason, "\n") {
		fmt.Fprintf(r.W, "    %s\n", line)
	}
	if c.Curl != "" {
		fmt.Fprintf(r.W, "    %s\n", c.Curl)
	}
}

// Done prints the summary.
func (r *TextReporter) Done(res *Result) {
	from, to := res.From, res.To
	if res.Clock != "" {
		fmt.Fprintf(r.W, "%d requests in %.1fs; window %s .. %s (from %s)\n", res.Requests, res.Duration.Seconds(),
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), res.Clock)
	}
	fmt.Fprintln(r.W, res.Summary())
	if line := selectionLine(res); line != "" {
		fmt.Fprintln(r.W, line)
	}
	if res.Verdict() == VerdictInconclusive {
		fmt.Fprintln(r.W, InconclusiveText(res))
	}
}

// Summary is "N passed, M failed, K skipped: I configuration, J data".
func (r *Result) Summary() string {
	passed, failed, skipped := r.Counts()
	line := fmt.Sprintf("%d passed, %d failed, %d skipped", passed, failed, skipped)
	if skipped == 0 {
		return line
	}
	var parts []string
	counts := r.SkipCounts()
	for _, c := range []SkipClass{SkipConfiguration, SkipData, SkipTraffic, SkipInterrupted} {
		if counts[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[c], c))
		}
	}
	return line + ": " + strings.Join(parts, ", ")
}

// selectionLine says how many checks the selection left out, "" for none.
func selectionLine(res *Result) string {
	if res.Deselected == 0 {
		return ""
	}
	return fmt.Sprintf("%d check(s) not selected (--only/--skip)", res.Deselected)
}

// InconclusiveText says why a run is inconclusive and what to change.
func InconclusiveText(res *Result) string {
	var b strings.Builder
	skipped := res.Inconclusive()
	fmt.Fprintf(&b, "INCONCLUSIVE: %d essential check(s) could not run for lack of data in scope %s %s .. %s:",
		len(skipped), res.Scope, res.From.UTC().Format(time.RFC3339), res.To.UTC().Format(time.RFC3339))
	for _, c := range skipped {
		fmt.Fprintf(&b, "\n    %s: %s", c.Name, firstLine(c.Reason))
	}
	b.WriteString("\nNothing failed, but the run proves little. Point --scope at a busier scope, or widen the window " +
		"with --from and --to; --allow-inconclusive accepts such a run (exit 0).")
	return b.String()
}

// junit* are the JUnit XML elements CI systems read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes res as JUnit XML: one testsuite per group of checks, one
// testcase per check. A run that could not start is one testcase in error.
func WriteJUnit(w io.Writer, res *Result) error {
	out := junitSuites{Name: "bkjob-contract", Time: seconds(res.Duration)}
	if res.Error != "" {
		out.Tests, out.Errors = 1, 1
		out.Suites = append(out.Suites, junitSuite{Name: "start", Tests: 1, Errors: 1, Time: "0.000",
			Timestamp: res.Started.UTC().Format(time.RFC3339),
			Cases: []junitCase{{Name: "start", Classname: "contract.start", Time: "0.000",
				Error: &junitMessage{Message: res.Error, Type: "unreachable", Text: res.Error}}}})
	}
	index := map[string]int{}
	for _, c := range res.Checks {
		i, ok := index[c.Group]
		if !ok {
			i = len(out.Suites)
			index[c.Group] = i
			out.Suites = append(out.Suites, junitSuite{Name: c.Group, Timestamp: res.Started.UTC().Format(time.RFC3339)})
		}
		s := &out.Suites[i]
		tc := junitCase{Name: c.Name, Classname: "contract." + c.Group, Time: seconds(c.Duration)}
		switch c.Status {
		case Fail:
			text := c.Reason
			if c.Curl != "" {
				text += "\n" + c.Curl
			}
			tc.Failure = &junitMessage{Message: firstLine(c.Reason), Type: "contract", Text: text}
			s.Failures++
			out.Failures++
		case Skip:
			tc.Skipped = &junitMessage{Message: c.Reason, Type: string(c.SkipClass)}
			s.Skipped++
			out.Skipped++
		}
		s.Tests++
		out.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for i := range out.Suites {
		var d time.Duration
		for _, c := range res.Checks {
			if c.Group == out.Suites[i].Name {
				d += c.Duration
			}
		}
		out.Suites[i].Time = seconds(d)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// jsonReport is the shape of the JSON report.
type jsonReport struct {
	*Result
	DurationMS int64          `json:"duration_ms"`
	Summary    jsonSummary    `json:"summary"`
	Checks     []jsonCheck    `json:"checks"`
	Coverage   []jsonCoverage `json:"coverage"` // per group, in run order
}

type jsonSummary struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// Skips by class: configuration, data (and interrupted).
	SkippedBy map[SkipClass]int `json:"skipped_by_class"`
	// Verdict is pass, fail, inconclusive or error.
	Verdict Verdict `json:"verdict"`
	// Inconclusive names the essential checks that skipped for data.
	Inconclusive []string `json:"inconclusive,omitempty"`
}

// jsonCoverage is what ran of one group of checks.
type jsonCoverage struct {
	Group   string `json:"group"`
	Checks  int    `json:"checks"` // in the run
	Ran     int    `json:"ran"`    // passed or failed
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"`
}

type jsonCheck struct {
	CheckResult
	DurationMS int64 `json:"duration_ms"`
}

// WriteJSON writes res as JSON: the target, the window, a summary and every
// check with its status, reason and curl command.
func WriteJSON(w io.Writer, res *Result) error {
	p, f, s := res.Counts()
	sum := jsonSummary{Passed: p, Failed: f, Skipped: s, SkippedBy: res.SkipCounts(), Verdict: res.Verdict()}
	for _, c := range res.Inconclusive() {
		sum.Inconclusive = append(sum.Inconclusive, c.Name)
	}
	rep := jsonReport{Result: res, DurationMS: res.Duration.Milliseconds(), Summary: sum}
	rep.Checks = make([]jsonCheck, len(res.Checks))
	index := map[string]int{}
	rep.Coverage = []jsonCoverage{}
	for i, c := range res.Checks {
		rep.Checks[i] = jsonCheck{c, c.Duration.Milliseconds()}
		g, ok := index[c.Group]
		if !ok {
			g = len(rep.Coverage)
			index[c.Group] = g
			rep.Coverage = append(rep.Coverage, jsonCoverage{Group: c.Group})
		}
		cov := &rep.Coverage[g]
		cov.Checks++
		switch c.Status {
		case Pass:
			cov.Ran++
			cov.Passed++
		case Fail:
			cov.Ran++
			cov.Failed++
		case Skip:
			cov.Skipped++
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}
