package spec

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValidateParamMatchesKinOpenAPI holds ValidateQuery's decoding of plain
// parameters to kin-openapi's own: for every query parameter of both
// operations and a corpus of values (absent, empty, repeated, out of type,
// out of range, out of enum), validatePlain returns exactly the error
// openapi3filter.ValidateParameter returns.
func TestValidateParamMatchesKinOpenAPI(t *testing.T) {
	t.Parallel()
	sp, err := Embedded()
	require.NoError(t, err)
	raws := []string{
		"", " ", "0", "1", "2", "3", "-1", "+3", "007", "1e1", "0x1", "1.0", "1_000", " 1", "abc", "NaN", "Inf",
		"9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999",
		"1795917600000", "201", "200", "10001", "biz", "BIZ", "biz_set", "tenant_set", "admin", "发布", "%", "10.0.0.1", "::1",
		"true", "false",
	}
	plain := 0
	for _, system := range []bool{false, true} {
		for _, qp := range sp.queryParams(system) {
			if !qp.plain {
				continue
			}
			plain++
			name := qp.param.Name
			cases := []url.Values{{}, {"other": {"1"}}}
			for _, raw := range raws {
				cases = append(cases, url.Values{name: {raw}}, url.Values{name: {"", raw}}, url.Values{name: {raw, "1"}})
			}
			for _, q := range cases {
				r, err := http.NewRequest(http.MethodGet, "/api?"+q.Encode(), nil)
				require.NoError(t, err)
				input := &openapi3filter.RequestValidationInput{
					Request: r, PathParams: noPathParams, QueryParams: q, Route: sp.Route(system), Options: &requestOptions,
				}
				want := openapi3filter.ValidateParameter(context.Background(), input, qp.param)
				got := validatePlain(input, qp, q)
				if !assert.Equal(t, want, got, "system %v, %s: %q", system, name, q) {
					continue
				}
				if want != nil {
					assert.Equal(t, want.Error(), got.Error())
				}
			}
		}
	}
	assert.GreaterOrEqual(t, plain, 2*13, "every parameter of the two operations is plain but the system API's missing ones")
}
