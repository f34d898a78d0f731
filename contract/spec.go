package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	apispec "github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// problemKind names what a response got wrong against openapi.yaml; each kind
// is one conformance check.
type problemKind int

const (
	problemStatus       problemKind = iota // status not documented for the operation
	problemContentType                     // Content-Type not one the spec lists
	problemSchema                          // headers or body do not match the schema
	problemJobRequestID                    // v4 response without a valid job_request_id
	problemNull                            // v4 response with a null field
)

// problemKinds counts the kinds of problem.
const problemKinds = 5

// problem is one conformance finding about one response.
type problem struct {
	kind problemKind
	msg  string
}

// spec is openapi.yaml as the suite checks answers against it.
type spec struct{ *apispec.Spec }

// loadSpec loads, validates and routes an OpenAPI document. The embedded one
// is built once per process and shared with the mock.
func loadSpec(data []byte) (*spec, error) {
	var sp *apispec.Spec
	var err error
	if bytes.Equal(data, bkjob.OpenAPISpec) {
		sp, err = apispec.Embedded()
	} else {
		sp, err = apispec.Parse(data)
	}
	if err != nil {
		return nil, err
	}
	return &spec{sp}, nil
}

var jobRequestIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// validate records on ex every way its response breaks openapi.yaml.
func (s *spec) validate(ex *exchange) {
	route := s.Route(ex.req.system)
	add := func(k problemKind, format string, args ...any) {
		ex.problems = append(ex.problems, problem{k, fmt.Sprintf(format, args...)})
	}
	ex.examined[problemStatus] = true
	ref := route.Operation.Responses.Status(ex.status)
	if ref == nil {
		ref = route.Operation.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		add(problemStatus, "status %d is not documented for %s", ex.status, route.Operation.OperationID)
	} else if content := ref.Value.Content; len(content) > 0 {
		ex.examined[problemContentType] = true
		ct := ex.respHdr.Get("Content-Type")
		if content.Get(ct) == nil {
			add(problemContentType, "Content-Type %q, want %s", ct, strings.Join(contentTypes(content), " or "))
		} else {
			ex.examined[problemSchema] = true
			req, _ := http.NewRequest(http.MethodGet, route.Path, nil)
			input := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
				Status:                 ex.status,
				Header:                 ex.respHdr,
				Body:                   io.NopCloser(bytes.NewReader(ex.body)),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true},
			}
			if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
				add(problemSchema, "%d response: %s", ex.status, describeValidationError(err))
			}
		}
	}
	if !ex.v4 {
		return
	}
	ex.examined[problemJobRequestID] = true
	ex.examined[problemNull] = ex.json != nil
	obj, _ := ex.json.(map[string]any)
	id, ok := obj["job_request_id"].(string)
	switch {
	case obj == nil:
		add(problemJobRequestID, "the body is not a JSON object, so it has no job_request_id")
	case !ok:
		add(problemJobRequestID, "no job_request_id in the %d response", ex.status)
	case !jobRequestIDPattern.MatchString(id):
		add(problemJobRequestID, "job_request_id %q is not 32 lowercase hex characters", id)
	}
	if p := findNull(ex.json, ""); p != "" {
		add(problemNull, "%s is null; null fields must be omitted", p)
	}
}

func contentTypes(c openapi3.Content) []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	return out
}

// findNull returns the JSON pointer of the first null inside v, or "".
func findNull(v any, at string) string {
	switch v := v.(type) {
	case nil:
		if at == "" {
			return ""
		}
		return at
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if p := findNull(v[k], at+"/"+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range v {
			if p := findNull(e, fmt.Sprintf("%s/%d", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// describeValidationError says where and why a response broke its schema,
// from the deepest schema error kin-openapi reports (for oneOf, that is the
// branch that came closest to matching).
func describeValidationError(err error) string {
	var all []*openapi3.SchemaError
	collectSchemaErrors(err, &all, 0)
	if len(all) == 0 {
		var re *openapi3filter.ResponseError
		if errors.As(err, &re) {
			return re.Reason
		}
		return "does not match openapi.yaml"
	}
	best := all[0]
	for _, e := range all[1:] {
		if len(e.JSONPointer()) > len(best.JSONPointer()) {
			best = e
		}
	}
	return fmt.Sprintf("at /%s: %s", strings.Join(best.JSONPointer(), "/"), best.Reason)
}

func collectSchemaErrors(err error, out *[]*openapi3.SchemaError, depth int) {
	if err == nil || depth > 32 {
		return
	}
	switch e := err.(type) {
	case *openapi3.SchemaError:
		*out = append(*out, e)
		collectSchemaErrors(e.Origin, out, depth+1)
		return
	case openapi3.MultiError:
		for _, x := range e {
			collectSchemaErrors(x, out, depth+1)
		}
		return
	}
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		for _, x := range u.Unwrap() {
			collectSchemaErrors(x, out, depth+1)
		}
		return
	}
	collectSchemaErrors(errors.Unwrap(err), out, depth+1)
}
