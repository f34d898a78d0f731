package mock

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/bkjob-mock/bkjob-mock/internal/spec"
)

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

// validation validates the request against openapi.yaml with kin-openapi and
// answers the first problem in the real server's order of checks.
func (srv *Server) validation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		problems, err := srv.validate(r, x)
		if err != nil {
			srv.log.ErrorContext(r.Context(), "validation failed unexpectedly", "job_request_id", x.requestID, "err", err)
			writeV4Error(w, &apiError{kind: errInternal}, x.en, x.requestID)
			return
		}
		x.problems = problems
		if len(problems) > 0 {
			writeV4Error(w, problems[0].err, x.en, x.requestID)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validate runs kin-openapi over the exchange's parameters and sorts what it
// finds, with the query's own parse problems, into the real server's order of
// checks. It returns every problem, first the one to report.
func (srv *Server) validate(r *http.Request, x *exchange) ([]problem, error) {
	var problems []problem
	if x.tooMany {
		problems = append(problems, problem{phase: phaseBinding, err: &apiError{kind: errTooManyParams}, note: "more than 10000 query parameters"})
	}
	for _, name := range x.badParam {
		order, _ := spec.ParamIndex(name)
		problems = append(problems, problem{phase: phaseBinding, order: order, err: &apiError{kind: errTypeMismatch, param: name}, note: "invalid percent-encoding"})
	}
	err := srv.spec.ValidateQuery(r.Context(), r, x.api == apiSystem, x.params)
	for _, e := range flatten(err) {
		re, ok := e.(*openapi3filter.RequestError)
		if !ok || re.Parameter == nil {
			return nil, fmt.Errorf("unexpected validation error: %w", e)
		}
		if re.Parameter.In != openapi3.ParameterInQuery || slices.Contains(x.badParam, re.Parameter.Name) {
			continue // a header the server does not check; a parameter already reported
		}
		if p, ok := classify(re, x.params); ok {
			problems = append(problems, p)
		}
	}
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].phase != problems[j].phase {
			return problems[i].phase < problems[j].phase
		}
		return problems[i].order < problems[j].order
	})
	if srv.cfg.Quirks {
		problems = quirkProblems(problems)
	}
	return problems, nil
}

// quirkProblems reproduces the real service's handling of invalid enums: an
// invalid status or launch_mode crashes it (500), an invalid type is ignored.
func quirkProblems(problems []problem) []problem {
	out := problems[:0]
	for _, p := range problems {
		if p.phase == phaseEnum {
			switch p.err.param {
			case "type":
				continue
			case "status", "launch_mode":
				p.err = &apiError{kind: errInternal, param: p.err.param}
			}
		}
		out = append(out, p)
	}
	return out
}

// classify maps one kin-openapi parameter error to the real server's error.
// ok is false for what the real server accepts (an empty optional number).
func classify(re *openapi3filter.RequestError, q url.Values) (p problem, ok bool) {
	name := re.Parameter.Name
	p.order, _ = spec.ParamIndex(name)
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
	if err == nil {
		return nil
	}
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
