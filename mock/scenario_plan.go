package mock

import (
	"net/http"
)

// scenarios chooses the scenarios of the request (X-Mock-Scenario, then the
// admin API's, then the fixtures rules; see plan) and applies the delay and
// the fault among them around the rest of the chain. Errors and data shapes
// are answered further down, by the layer that would produce them. With no
// header, nothing switched on and no rules, it costs one atomic load.
func (srv *Server) scenarios(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		acts := srv.store.active()
		if x.scenario == "" && len(acts) == 0 && len(x.gen.rules) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if x.scenario != "" {
			scs, merr := parseScenarios(x.scenario)
			if merr != nil {
				merr.Message = ScenarioHeader + ": " + merr.Message
				x.mockError = merr.Code
				writeMockError(w, merr)
				return
			}
			x.plan.add(scs, "header")
		}
		if !x.plan.full() && (len(acts) > 0 || len(x.gen.rules) > 0) {
			id, _ := x.auth() // who, for matching; the gateway decides later
			srv.store.apply(&x.plan, acts, x.scope, id.user)
			x.gen.applyRules(&x.plan, x.scope, id.user, x.params)
		}
		srv.perform(w, r, next)
	})
}

// applied is a scenario chosen for a request, and the source that chose it.
type applied struct {
	sc     scenario
	source string // "header", "admin:ID" or "fixtures:LINE"
}

// plan is what the scenarios decide for one request: one scenario per slot at most.
type plan struct {
	slots [numSlots]applied
}

// free reports whether any of scs would take a slot not taken yet.
func (p *plan) free(scs []scenario) bool {
	for _, sc := range scs {
		if sc.def.stage == stageControl {
			for _, a := range p.slots {
				if a.sc.def == nil {
					return true
				}
			}
			continue
		}
		if p.slots[sc.def.slot].sc.def == nil {
			return true
		}
	}
	return false
}

// add puts every scenario of scs whose slot is free into the plan; then none
// claims the slots still free ("none, hang:5s": a hang, and nothing else).
func (p *plan) add(scs []scenario, source string) {
	control := false
	for _, sc := range scs {
		if sc.def.stage == stageControl {
			control = true
			continue
		}
		if p.slots[sc.def.slot].sc.def == nil {
			p.slots[sc.def.slot] = applied{sc, source}
		}
	}
	if !control {
		return
	}
	for _, sc := range scs {
		if sc.def.stage == stageControl {
			for i := range p.slots {
				if p.slots[i].sc.def == nil {
					p.slots[i] = applied{sc, source}
				}
			}
		}
	}
}

// full reports whether every slot is taken.
func (p *plan) full() bool {
	for _, a := range p.slots {
		if a.sc.def == nil {
			return false
		}
	}
	return true
}

// get returns the scenario of slot sl acting at stage st, or nil.
func (p *plan) get(sl slot, st stage) *scenario {
	a := &p.slots[sl]
	if a.sc.def == nil || a.sc.def.stage != st {
		return nil
	}
	return &a.sc
}

// applied lists the scenarios that act (none excluded), for the journal.
func (p *plan) applied() []applied {
	var out []applied
	for _, a := range p.slots {
		if a.sc.def != nil && a.sc.def.stage != stageControl {
			out = append(out, a)
		}
	}
	return out
}
