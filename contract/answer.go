package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	apispec "github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// An Answer is one request to the API and the response it got, as a proxy in
// front of an implementation sees it.
type Answer struct {
	System     bool        // the system API (/api/v4/system/...)
	RawQuery   string      // the request's query string, as sent
	Header     http.Header // the request's headers
	Status     int
	RespHeader http.Header
	Body       []byte
	// URL is where the request went, for the curl command that reproduces
	// a finding in a report (see Tally); optional.
	URL string
}

// A Finding is a rule of the contract that one answer breaks. Check is the
// name of the suite's check of that rule.
type Finding struct {
	Check   string `json:"check"`
	Message string `json:"message"`
}

// Inspector checks single answers against the contract: openapi.yaml and
// every rule of the real server that one answer can show. It is safe for
// concurrent use.
type Inspector struct {
	spec *spec
}

// NewInspector returns an Inspector for the embedded openapi.yaml.
func NewInspector() (*Inspector, error) {
	sp, err := loadSpec(bkjob.OpenAPISpec)
	if err != nil {
		return nil, err
	}
	return &Inspector{spec: sp}, nil
}

// anyText matches any error text.
var anyText = regexp.MustCompile(``)

// answerChecks are the checks Inspect applies, in the suite's order.
var answerChecks = map[string]bool{
	"conformance/status_documented": true, "conformance/content_type": true, "conformance/schema": true,
	"conformance/job_request_id": true, "conformance/no_null_fields": true,
	"semantics/times/plausible": true, "semantics/length_honoured": true, "semantics/default_length": true,
	"semantics/order/create_time_desc": true, "semantics/order/ties_by_id_asc": true,
	"semantics/window/start_after_end_empty": true, "semantics/window/items_inside": true,
	"semantics/items/scope": true, "semantics/items/quick_task_ids": true, "semantics/items/time_fields": true,
	"semantics/job_instance_id/exact": true,
	"semantics/filter/operator":       true, "semantics/filter/name": true, "semantics/filter/status": true,
	"semantics/filter/type": true, "semantics/filter/launch_mode": true,
}

// AnswerChecks lists the checks whose rules Inspect applies to each answer:
// those of the suite that one answer can show, and the rules/* of the
// request's own parameters (named for the rule: a type error of length is
// rules/type/length whatever the value).
func AnswerChecks() []CheckInfo {
	var out []CheckInfo
	for _, c := range Checks() {
		if answerChecks[c.Name] || answerRule(c.Name) {
			out = append(out, c)
		}
	}
	return out
}

func answerRule(name string) bool {
	for _, p := range declared {
		switch name {
		case "rules/missing/" + p, "rules/type/" + p, "rules/invalid/" + p:
			return true
		}
	}
	switch name {
	case "rules/missing/create_time_start_empty", "rules/type/length_overflow", "rules/type/create_time_end_overflow",
		"rules/range/offset_negative", "rules/range/offset_above_max", "rules/range/length_zero", "rules/range/length_above_max",
		"rules/repeated_param_first_wins":
		return true
	}
	return false
}

// Inspection is what one answer shows: the rules it breaks and the rules it
// exercises, those it breaks among them.
type Inspection struct {
	Findings []Finding
	// Checked names the checks of the rules the answer exercised, in the
	// order of AnswerChecks: a rule of ordering needs two tasks, a filter
	// needs the filter and a task to check against it.
	Checked []string
}

// Inspect returns the rules a breaks, at most one finding per check.
func (in *Inspector) Inspect(a Answer) []Finding { return in.Examine(a).Findings }

// Examine inspects a: every rule it exercises and those it breaks, at most
// one finding per check. The secrets of a's X-Bkapi-Authorization are masked
// in the messages.
func (in *Inspector) Examine(a Answer) (out Inspection) {
	if a.Header == nil {
		a.Header = http.Header{}
	}
	ex := &exchange{check: "proxy", req: request{system: a.System, query: parseParams(a.RawQuery)},
		status: a.Status, respHdr: a.RespHeader, body: a.Body}
	if ex.respHdr == nil {
		ex.respHdr = http.Header{}
	}
	dec := json.NewDecoder(bytes.NewReader(a.Body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil && !dec.More() {
		ex.json = v
	}
	_, isObject := ex.json.(map[string]any)
	ex.v4 = a.Header.Get(authHeader) != "" && isObject && !isGatewayEnvelope(ex.json)

	seen := map[string]bool{}
	checked := map[string]bool{}
	auth := a.Header.Get(authHeader)
	add := func(check, format string, args ...any) {
		checked[check] = true
		if !seen[check] {
			seen[check] = true
			out.Findings = append(out.Findings, Finding{check, apispec.MaskEchoed(fmt.Sprintf(format, args...), auth)})
		}
	}
	exercise := func(check string) { checked[check] = true }
	defer func() {
		for _, c := range AnswerChecks() {
			if checked[c.Name] {
				out.Checked = append(out.Checked, c.Name)
			}
		}
	}()

	in.spec.validate(ex)
	names := [problemKinds]string{"conformance/status_documented", "conformance/content_type", "conformance/schema",
		"conformance/job_request_id", "conformance/no_null_fields"}
	for k, examined := range ex.examined {
		if examined {
			exercise(names[k])
		}
	}
	for _, p := range ex.problems {
		add(names[p.kind], "%s", p.msg)
	}

	q := ex.req.query
	if check, want, rejected := rejection(q); rejected && ex.v4 {
		// 403 and 404 come before the parameters are bound: they may hide the 400.
		if ex.status != 403 && ex.status != 404 {
			exercise(check)
			if a.Header.Get(languageHeader) != "" {
				// Another language: its texts are not all known; the codes are.
				want.message, want.messageRE, want.detailsMessage = "", anyText, ""
			}
			if msg := errorMismatch(ex, want); msg != "" {
				add(check, "%s", msg)
			}
		}
		return out
	}
	items, err := parseList(ex)
	if err != nil {
		return out
	}
	now := time.Now()
	if d, err := http.ParseTime(ex.respHdr.Get("Date")); err == nil {
		now = d
	}
	if v, _ := q.get("length"); v == "" {
		exercise("semantics/default_length")
		if len(items) > 10 {
			add("semantics/default_length", "without length the page holds %d tasks, want at most 10", len(items))
		}
	} else if n, _ := strconv.ParseInt(v, 10, 64); q.count("length") > 1 {
		exercise("rules/repeated_param_first_wins")
		if int64(len(items)) > n {
			add("rules/repeated_param_first_wins", "length=%s first, yet %d tasks: the first value counts", v, len(items))
		}
	} else {
		exercise("semantics/length_honoured")
		if int64(len(items)) > n {
			add("semantics/length_honoured", "length=%d returned %d tasks", n, len(items))
		}
	}
	if len(items) > 1 {
		exercise("semantics/order/create_time_desc")
	}
	if msg := orderProblem(items); msg != "" {
		add("semantics/order/create_time_desc", "%s", msg)
	}
	msg, ties := tieProblem(items)
	if ties > 0 {
		exercise("semantics/order/ties_by_id_asc")
	}
	if msg != "" {
		add("semantics/order/ties_by_id_asc", "%s", msg)
	}
	id, byID := positive(q, "job_instance_id")
	if start, end := q.int("create_time_start"), q.int("create_time_end"); !byID && start > end {
		exercise("semantics/window/start_after_end_empty")
		if len(items) > 0 {
			add("semantics/window/start_after_end_empty", "create_time_start=%d > create_time_end=%d returned %d tasks, want none", start, end, len(items))
		}
	}
	filters := map[string]func(item) bool{}
	if !byID {
		for _, r := range filterRules {
			if v, ok := q.get(r.param); ok && strings.TrimSpace(v) != "" {
				filters[r.check] = r.matcher(v)
			}
		}
	}
	if len(items) > 0 {
		for _, c := range []string{"semantics/times/plausible", "semantics/items/scope", "semantics/items/quick_task_ids", "semantics/items/time_fields"} {
			exercise(c)
		}
		if byID {
			exercise("semantics/job_instance_id/exact")
		} else {
			exercise("semantics/window/items_inside")
		}
		for c := range filters {
			exercise(c)
		}
	}
	for _, it := range items {
		if msg := implausibleTask(it, now); msg != "" {
			add("semantics/times/plausible", "task %d: %s", it.ID, msg)
		}
		if msg := outsideWindow(q, it); msg != "" {
			add("semantics/window/items_inside", "%s", msg)
		}
		if msg := scopeProblem(q, it); msg != "" {
			add("semantics/items/scope", "%s", msg)
		}
		if msg := quickIDProblem(it); msg != "" {
			add("semantics/items/quick_task_ids", "%s", msg)
		}
		if msg := timeFields(it); msg != "" {
			add("semantics/items/time_fields", "%s", msg)
		}
		if byID && it.ID != id {
			add("semantics/job_instance_id/exact", "job_instance_id=%d returned task %d", id, it.ID)
		}
		for _, r := range filterRules {
			if match, ok := filters[r.check]; ok && !match(it) {
				v, _ := q.get(r.param)
				add(r.check, "%s=%s returned task %d, which does not match (%s %v)", r.param, v, it.ID, r.param, it.raw[r.param])
			}
		}
	}
	return out
}

// parseParams decodes a raw query string keeping its order and repeated keys.
func parseParams(raw string) params {
	var out params
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, param{k, v})
	}
	return out
}

// int returns the value of an integer parameter, 0 when absent or not one.
func (p params) int(key string) int64 {
	v, _ := p.get(key)
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

// count returns how many times key appears.
func (p params) count(key string) int {
	n := 0
	for _, kv := range p {
		if kv.key == key {
			n++
		}
	}
	return n
}
