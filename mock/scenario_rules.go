package mock

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// rule is a scenario the fixtures switch on for the requests it matches.
type rule struct {
	scenarios []scenario
	scope     bkjob.Scope // zero for every scope
	user      string      // "" for every user
	params    [][2]string // query parameters and the values they must have
	source    string      // fixtures:LINE
}

func (r *rule) match(scope bkjob.Scope, user string, q url.Values) bool {
	if r.scope != (bkjob.Scope{}) && r.scope != scope || r.user != "" && r.user != user {
		return false
	}
	for _, p := range r.params {
		if q.Get(p[0]) != p[1] {
			return false
		}
	}
	return true
}

// applyRules adds to p the scenarios of the matching rules, in file order,
// where they have a free slot.
func (g *generation) applyRules(p *plan, scope bkjob.Scope, user string, q url.Values) {
	for i := range g.rules {
		r := &g.rules[i]
		if p.full() {
			return
		}
		if r.match(scope, user, q) {
			p.add(r.scenarios, r.source)
		}
	}
}

// compileRules parses the scenario rules of fx (its scenarios section). A
// name the catalog does not know, a bad argument or a parameter the API does
// not have is an error naming the file and line.
func compileRules(fx *fixtures.Fixtures) ([]rule, error) {
	var out []rule
	for _, fr := range fx.Scenarios {
		fail := func(format string, args ...any) error {
			return &fixtures.Error{File: fx.Source, Line: fr.Line, Msg: "scenario rule: " + fmt.Sprintf(format, args...)}
		}
		scs, merr := parseScenarios(fr.Scenario)
		if merr != nil {
			return nil, fail("%s", merr.Message)
		}
		if len(scs) == 0 {
			return nil, fail("no scenario named; valid scenarios: %s", strings.Join(scenarioNames, ", "))
		}
		for _, p := range fr.Params {
			if _, ok := spec.ParamIndex(p[0]); !ok {
				return nil, fail("params: %q is not a parameter of the API (%s)", p[0], strings.Join(spec.Params[:], ", "))
			}
		}
		var scope bkjob.Scope
		if fr.Scope != "" {
			var err error
			if scope, err = bkjob.ParseScope(fr.Scope); err != nil {
				return nil, fail("scope %q: %v", fr.Scope, err)
			}
		}
		out = append(out, rule{scenarios: scs, scope: scope, user: fr.User, params: fr.Params, source: "fixtures:" + strconv.Itoa(fr.Line)})
	}
	return out, nil
}
