// Package spec is the one place that knows openapi.yaml as kin-openapi sees it
// (loaded, validated and routed once) and the facts of the API that the mock
// and the contract suite share: parameter names in the server's order, the
// credentials that must never be shown, and how a command line is quoted.
package spec

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

	userParams, systemParams []queryParam // their query parameters, in validation order
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
	s.userParams, s.systemParams = queryParamsOf(s.User), queryParamsOf(s.System)
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
// query parameters of the system or user API's operation with kin-openapi,
// in the order openapi3filter.ValidateRequest takes them (the path's, then
// the operation's). It leaves out what ValidateRequest would find nothing
// wrong with here: query parameters that are absent and not required (no
// defaults are set), headers, and security (the gateway authenticates before
// validation runs). It returns an openapi3.MultiError of
// *openapi3filter.RequestError, nil when valid.
//
// Each parameter's value is checked by kin-openapi against its schema
// (openapi3.Schema.VisitJSON). A plain parameter (one primitive type, form
// style) is decoded from the query here, as openapi3filter decodes it, rather
// than by openapi3filter.ValidateParameter, which works out the parameter's
// serialization and decoder anew for every value; any other goes through
// ValidateParameter whole. TestValidateParamMatchesKinOpenAPI holds the two
// to the same errors.
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
	for _, qp := range s.queryParams(system) {
		if _, sent := query[qp.param.Name]; !sent && !qp.param.Required {
			continue
		}
		var err error
		if qp.plain {
			err = validatePlain(input, qp, query)
		} else {
			err = openapi3filter.ValidateParameter(ctx, input, qp.param)
		}
		if err != nil {
			me = append(me, err)
		}
	}
	if len(me) > 0 {
		return me
	}
	return nil
}

// queryParam is a query parameter of an operation, and whether it is plain:
// a schema of one primitive type (no allOf, anyOf, oneOf, not), form style,
// no content.
type queryParam struct {
	param *openapi3.Parameter
	plain bool
	typ   string // the schema's type, when plain
}

func (s *Spec) queryParams(system bool) []queryParam {
	if system {
		return s.systemParams
	}
	return s.userParams
}

// queryParamsOf lists route's query parameters in the order ValidateRequest
// takes them: the path's (unless the operation overrides them), then the
// operation's.
func queryParamsOf(route *routers.Route) []queryParam {
	var out []queryParam
	add := func(p *openapi3.Parameter) {
		if p.In != openapi3.ParameterInQuery {
			return
		}
		qp := queryParam{param: p}
		if sm, err := p.SerializationMethod(); err == nil && sm.Style == openapi3.SerializationForm && p.Content == nil && p.Schema != nil {
			sc := p.Schema.Value
			if types := sc.Type.Slice(); len(types) == 1 && len(sc.AllOf)+len(sc.AnyOf)+len(sc.OneOf) == 0 && sc.Not == nil {
				switch types[0] {
				case openapi3.TypeInteger, openapi3.TypeNumber, openapi3.TypeString, openapi3.TypeBoolean:
					qp.plain, qp.typ = true, types[0]
				}
			}
		}
		out = append(out, qp)
	}
	ops := route.Operation.Parameters
	for _, ref := range route.PathItem.Parameters {
		if ops == nil || ops.GetByInAndName(ref.Value.In, ref.Value.Name) == nil {
			add(ref.Value)
		}
	}
	for _, ref := range ops {
		add(ref.Value)
	}
	return out
}

// schemaOptions are the options ValidateParameter passes to VisitJSON with
// requestOptions (MultiError) on an OpenAPI 3.0 document.
var schemaOptions = []openapi3.SchemaValidationOption{openapi3.MultiErrors()}

// validatePlain is openapi3filter.ValidateParameter with requestOptions for a
// plain query parameter: the value decoded as openapi3filter's form decoder
// decodes a primitive, then checked against the schema by kin-openapi.
func validatePlain(input *openapi3filter.RequestValidationInput, qp queryParam, query url.Values) error {
	p := qp.param
	values, found := query[p.Name]
	var value any
	if len(values) > 0 {
		raw := values[0]
		if raw == "" { // the first non-empty value of a repeated key
			for _, v := range values[1:] {
				if v != "" {
					raw = v
					break
				}
			}
		}
		v, err := parsePrimitive(raw, qp.typ, p.Schema.Value)
		if err != nil {
			return &openapi3filter.RequestError{Input: input, Parameter: p, Err: err}
		}
		value = v
	}
	if p.Required && !found {
		return &openapi3filter.RequestError{Input: input, Parameter: p, Reason: openapi3filter.ErrInvalidRequired.Error(), Err: openapi3filter.ErrInvalidRequired}
	}
	if value == nil {
		if !p.AllowEmptyValue && found {
			return &openapi3filter.RequestError{Input: input, Parameter: p, Reason: openapi3filter.ErrInvalidEmptyValue.Error(), Err: openapi3filter.ErrInvalidEmptyValue}
		}
		return nil
	}
	if s, ok := value.(string); ok && s == "" && p.AllowEmptyValue {
		return nil
	}
	if err := p.Schema.Value.VisitJSON(value, schemaOptions...); err != nil {
		return &openapi3filter.RequestError{Input: input, Parameter: p, Err: err}
	}
	return nil
}

// parsePrimitive decodes raw as openapi3filter decodes a query value of one
// primitive type: an empty value of a type other than string is no value.
func parsePrimitive(raw, typ string, schema *openapi3.Schema) (any, error) {
	if raw == "" && typ != openapi3.TypeString {
		return nil, nil
	}
	invalid := func(err error) error {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Value: raw, Reason: "an invalid " + typ, Cause: err}
	}
	switch typ {
	case openapi3.TypeInteger:
		if schema.Format == "int32" {
			v, err := strconv.ParseInt(raw, 10, 32)
			if err != nil {
				return nil, invalid(err)
			}
			return int32(v), nil
		}
		v, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, invalid(err)
		}
		return v, nil
	case openapi3.TypeNumber:
		if strings.ContainsFunc(raw, func(r rune) bool { return !strings.ContainsRune("+-.0123456789eE", r) }) {
			return nil, invalid(strconv.ErrSyntax)
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, invalid(err)
		}
		return v, nil
	case openapi3.TypeBoolean:
		v, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, invalid(err)
		}
		return v, nil
	}
	return raw, nil
}
