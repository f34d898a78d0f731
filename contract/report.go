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
// go test -v, then the summary line "N passed, M failed, K skipped".
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
	fmt.Fprintf(r.W, "--- %s: %s (%.2fs)\n", strings.ToUpper(string(c.Status)), c.Name, c.Duration.Seconds())
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
	passed, failed, skipped := res.Counts()
	from, to := res.From, res.To
	if res.Clock != "" {
		fmt.Fprintf(r.W, "%d requests in %.1fs; window %s .. %s (from %s)\n", res.Requests, res.Duration.Seconds(),
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), res.Clock)
	}
	fmt.Fprintf(r.W, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
}

// junit* are the JUnit XML elements CI systems read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
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
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes res as JUnit XML: one testsuite per group of checks, one
// testcase per check.
func WriteJUnit(w io.Writer, res *Result) error {
	out := junitSuites{Name: "bkjob-contract", Time: seconds(res.Duration)}
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
			tc.Skipped = &junitMessage{Message: c.Reason}
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
	DurationMS int64       `json:"duration_ms"`
	Summary    jsonSummary `json:"summary"`
	Checks     []jsonCheck `json:"checks"`
}

type jsonSummary struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

type jsonCheck struct {
	CheckResult
	DurationMS int64 `json:"duration_ms"`
}

// WriteJSON writes res as JSON: the target, the window, a summary and every
// check with its status, reason and curl command.
func WriteJSON(w io.Writer, res *Result) error {
	p, f, s := res.Counts()
	rep := jsonReport{Result: res, DurationMS: res.Duration.Milliseconds(), Summary: jsonSummary{p, f, s}}
	rep.Checks = make([]jsonCheck, len(res.Checks))
	for i, c := range res.Checks {
		rep.Checks[i] = jsonCheck{c, c.Duration.Milliseconds()}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}
