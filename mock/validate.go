package mock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// paramOrder is the order in which the real server binds the query parameters;
// missing and wrong-type problems are reported in this order.
var paramOrder = [...]string{
	"bk_scope_type", "bk_scope_id", "create_time_start", "create_time_end",
	"job_instance_id", "operator", "name", "launch_mode", "type", "status",
	"ip", "job_cron_id", "offset", "length",
}

var paramIndex = func() map[string]int {
	m := make(map[string]int, len(paramOrder))
	for i, p := range paramOrder {
		m[p] = i
	}
	return m
}()

// enumOrder is the order in which the service rejects invalid enum values.
var enumOrder = map[string]int{"bk_scope_type": 0, "status": 1, "launch_mode": 2, "type": 3}

// phases of the real server's checks, in order; the first problem of the
// lowest phase is the one reported.
const (
	phaseBinding    = iota // missing, wrong type (declaration order)
	phaseConstraint        // blank scope, offset/length range (declaration order)
	phaseEnum              // status, launch_mode, type
)

// problem is one thing wrong with a request's parameters.
type problem struct {
	phase int
	order int
	err   *apiError
	note  string // what kin-openapi found, for the journal and logs
}

// firstValues reduces a query to the first value of each key: the real server
// binds a repeated parameter's first value.
func firstValues(rawQuery string) url.Values {
	q, _ := url.ParseQuery(rawQuery) // a malformed pair is skipped, as servlet containers do
	for k, v := range q {
		q[k] = v[:1]
	}
	return q
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// checkScope is the real server's scope interceptor: when both scope
// parameters are given, the type must be known and the scope must exist.
// Permission is checked by the caller.
func (s *server) checkScope(q url.Values) (*scopeDenied, *apiError) {
	typ, id := q.Get("bk_scope_type"), q.Get("bk_scope_id")
	if blank(typ) || blank(id) {
		return nil, nil
	}
	switch typ {
	case bkjob.ScopeBiz, bkjob.ScopeBizSet, bkjob.ScopeTenantSet:
	default:
		return nil, &apiError{kind: errInvalidParam, param: "bk_scope_type"}
	}
	sc, ok := s.fx.LookupScope(typ, id)
	if !ok {
		return nil, &apiError{kind: errScopeNotFound}
	}
	return &scopeDenied{Scope: bkjob.Scope{Type: typ, ID: id}, name: sc.Name}, nil
}

// validate runs kin-openapi over the request and sorts what it finds into the
// real server's order of checks. It returns every problem, first the one to report.
func (s *server) validate(ctx context.Context, r *http.Request, route *routers.Route, pathParams map[string]string, q url.Values) ([]problem, error) {
	input := &openapi3filter.RequestValidationInput{
		Request:     r,
		PathParams:  pathParams,
		QueryParams: q,
		Route:       route,
		Options:     &s.validateOptions,
	}
	err := openapi3filter.ValidateRequest(ctx, input)
	if err == nil {
		return nil, nil
	}
	var problems []problem
	for _, e := range flatten(err) {
		re, ok := e.(*openapi3filter.RequestError)
		if !ok || re.Parameter == nil || re.Parameter.In != openapi3.ParameterInQuery {
			return nil, fmt.Errorf("unexpected validation error: %w", e)
		}
		if p, ok := s.classify(re, q); ok {
			problems = append(problems, p)
		}
	}
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].phase != problems[j].phase {
			return problems[i].phase < problems[j].phase
		}
		return problems[i].order < problems[j].order
	})
	return problems, nil
}

// classify maps one kin-openapi parameter error to the real server's error.
// ok is false for what the real server accepts (an empty optional number).
func (s *server) classify(re *openapi3filter.RequestError, q url.Values) (p problem, ok bool) {
	name := re.Parameter.Name
	p.order = paramIndex[name]
	var pe *openapi3filter.ParseError
	var se *openapi3.SchemaError
	cause := flatten(re.Err)[0]
	switch {
	case errors.Is(cause, openapi3filter.ErrInvalidRequired):
		p.phase, p.err, p.note = phaseBinding, &apiError{kind: errMissingParam, param: name}, "missing"
	case errors.Is(cause, openapi3filter.ErrInvalidEmptyValue):
		if !re.Parameter.Required {
			return p, false // an empty number binds to null: no filter, or the default
		}
		p.phase, p.err, p.note = phaseBinding, &apiError{kind: errMissingParam, param: name}, "empty"
	case errors.As(cause, &pe):
		p.phase, p.err, p.note = phaseBinding, &apiError{kind: errTypeMismatch, param: name}, "not a number of its type"
	case errors.As(cause, &se):
		p.note = se.SchemaField + ": " + se.Reason
		switch {
		case se.SchemaField == "enum" && !blank(q.Get(name)):
			p.phase, p.order = phaseEnum, enumOrder[name]
			p.err = &apiError{kind: errInvalidParam, param: name}
		default: // minimum, maximum, pattern, a blank enum value
			p.phase, p.err = phaseConstraint, &apiError{kind: errBindFailed, param: name}
		}
	default:
		p.phase, p.err, p.note = phaseBinding, &apiError{kind: errTypeMismatch, param: name}, "undecodable"
	}
	return p, true
}

// flatten lists the errors of kin-openapi's MultiError (one level per
// parameter, and one per schema keyword inside a parameter's error).
func flatten(err error) []error {
	me, ok := err.(openapi3.MultiError)
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range me {
		out = append(out, flatten(e)...)
	}
	return out
}

// decodeQuery turns validated parameters into a Query. Every value here has
// passed validation, so parse errors cannot happen; empty numbers mean absent.
func decodeQuery(q url.Values, quirks bool) bkjob.Query {
	num := func(name string) (int64, bool) {
		v, err := strconv.ParseInt(q.Get(name), 10, 64)
		return v, err == nil
	}
	query := bkjob.Query{
		Scope:    bkjob.Scope{Type: q.Get("bk_scope_type"), ID: q.Get("bk_scope_id")},
		Operator: nonBlank(q.Get("operator")),
		Name:     nonBlank(q.Get("name")),
		IP:       q.Get("ip"),
		Offset:   0,
		Length:   10,
	}
	query.CreateTimeStart, _ = num("create_time_start")
	query.CreateTimeEnd, _ = num("create_time_end")
	query.JobInstanceID, _ = num("job_instance_id")
	query.JobCronID, _ = num("job_cron_id")
	if v, ok := num("launch_mode"); ok {
		m := bkjob.LaunchMode(v)
		query.LaunchMode = &m
	}
	if v, ok := num("type"); ok {
		if t := bkjob.TaskType(v); t.Valid() || !quirks {
			query.Type = &t
		} // --quirks: the real server ignores an invalid type
	}
	if v, ok := num("status"); ok {
		st := bkjob.Status(v)
		query.Status = &st
	}
	if v, ok := num("offset"); ok {
		query.Offset = int(v)
	}
	if v, ok := num("length"); ok {
		query.Length = int(v)
	}
	return query
}

// nonBlank returns s, or "" when s is only whitespace (no filter).
func nonBlank(s string) string {
	if blank(s) {
		return ""
	}
	return s
}
