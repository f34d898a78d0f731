// Package spec is the one place that knows openapi.yaml as kin-openapi sees it
// (loaded, validated and routed once) and the facts of the API that the mock
// and the contract suite share: parameter names in the server's order, the
// credentials that must never be shown, and how a command line is quoted.
package spec

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// Spec is an OpenAPI document of get_job_instance_list with the operations
// of its two paths resolved.
type Spec struct {
	Doc    *openapi3.T
	User   *routers.Route // GET /api/v4/get_job_instance_list
	System *routers.Route // GET /api/v4/system/get_job_instance_list
}

var embedded = sync.OnceValues(func() (*Spec, error) { return Parse(bkjob.OpenAPISpec) })

// Embedded returns the embedded openapi.yaml, built on first use and shared
// by every caller of the process. An error means the build is broken.
func Embedded() (*Spec, error) { return embedded() }

// Parse loads, validates and routes an OpenAPI document. Both API paths must
// have a GET operation.
func Parse(data []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing openapi.yaml: %w", err)
	}
	s := &Spec{Doc: doc}
	for _, p := range []struct {
		path  string
		route **routers.Route
	}{{bkjob.UserAPIPath, &s.User}, {bkjob.SystemAPIPath, &s.System}} {
		req, err := http.NewRequest(http.MethodGet, p.path, nil)
		if err != nil {
			return nil, err
		}
		route, _, err := router.FindRoute(req)
		if err != nil {
			return nil, fmt.Errorf("openapi.yaml has no GET %s: %w", p.path, err)
		}
		*p.route = route
	}
	return s, nil
}

// Route returns the operation of the system API or of the user API.
func (s *Spec) Route(system bool) *routers.Route {
	if system {
		return s.System
	}
	return s.User
}

// requestOptions validate parameters only: every problem (MultiError) and no
// defaults written back into the request.
var requestOptions = openapi3filter.Options{
	MultiError:          true,
	SkipSettingDefaults: true,
}

var noPathParams = map[string]string{}

// ValidateQuery validates the decoded query parameters of r against the
// query parameters of the system or user API's operation, each with
// kin-openapi's openapi3filter.ValidateParameter, in the order
// openapi3filter.ValidateRequest takes them (the path's, then the
// operation's). It leaves out what ValidateRequest would find nothing wrong
// with here: query parameters that are absent and not required (no defaults
// are set), headers, and security (the gateway authenticates before
// validation runs). It returns an openapi3.MultiError of
// *openapi3filter.RequestError, nil when valid.
func (s *Spec) ValidateQuery(ctx context.Context, r *http.Request, system bool, query url.Values) error {
	route := s.Route(system)
	input := &openapi3filter.RequestValidationInput{
		Request:     r,
		PathParams:  noPathParams,
		QueryParams: query,
		Route:       route,
		Options:     &requestOptions,
	}
	var me openapi3.MultiError
	check := func(p *openapi3.Parameter) {
		if p.In != openapi3.ParameterInQuery {
			return
		}
		if _, sent := query[p.Name]; !sent && !p.Required {
			return
		}
		if err := openapi3filter.ValidateParameter(ctx, input, p); err != nil {
			me = append(me, err)
		}
	}
	ops := route.Operation.Parameters
	for _, ref := range route.PathItem.Parameters {
		if ops == nil || ops.GetByInAndName(ref.Value.In, ref.Value.Name) == nil {
			check(ref.Value)
		}
	}
	for _, ref := range ops {
		check(ref.Value)
	}
	if len(me) > 0 {
		return me
	}
	return nil
}
