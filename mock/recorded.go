package mock

import (
	"context"
	"fmt"
	"strings"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

// list appends to dst (nil: a new slice) the page of q from the recorded
// tasks of its scope when it has some, else from the generated history,
// within its budget (history.AppendPage). The instances' Hosts may be nil:
// answers do not report them.
func (g *generation) list(ctx context.Context, dst []bkjob.JobInstance, q bkjob.Query, now int64) ([]bkjob.JobInstance, error) {
	if g.recorded != nil {
		if s := g.recorded[q.Scope]; s != nil {
			return append(dst, s.List(q, now)...), nil
		}
	}
	return g.history.AppendPage(ctx, dst, q, now)
}

// recordedScopes checks the recorded scopes of the configuration against fx
// (each must be one of its scopes, once) and shifts them if asked.
func (srv *Server) recordedScopes(fx *fixtures.Fixtures) (map[bkjob.Scope]*recorded.Source, error) {
	if len(srv.cfg.Recorded) == 0 {
		return nil, nil
	}
	out := make(map[bkjob.Scope]*recorded.Source, len(srv.cfg.Recorded))
	now := srv.now().UnixMilli()
	for _, s := range srv.cfg.Recorded {
		sc := s.Scope()
		if _, ok := fx.LookupScope(sc); !ok {
			var have []string
			for _, f := range fx.Scopes {
				have = append(have, f.String())
			}
			return nil, fmt.Errorf("mock: recorded scope %s (%s) is not a scope of the fixtures %s (they have %s); add it there, with its name and who may read it",
				sc, s.Name(), fx.Source, strings.Join(have, ", "))
		}
		if _, dup := out[sc]; dup {
			return nil, fmt.Errorf("mock: scope %s is recorded twice", sc)
		}
		if srv.cfg.RecordedShift {
			s = s.ShiftedTo(now)
		}
		out[sc] = s
	}
	return out, nil
}

// Recorded returns the recorded scopes being served, shifted as served.
func (srv *Server) Recorded() []*recorded.Source {
	g := srv.gen.Load()
	var out []*recorded.Source
	for _, s := range srv.cfg.Recorded {
		out = append(out, g.recorded[s.Scope()])
	}
	return out
}
