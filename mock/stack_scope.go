package mock

import (
	"net/http"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// scopeAccess checks the scope (type known, scope exists) and, on the user
// API, the user's permission on it; both come before parameter binding in the
// real server, so a user without permission gets 403 even for bad parameters.
// A contract-error scenario answers here, as job-execute, before its checks.
func (srv *Server) scopeAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if sc := x.plan.get(slotAnswer, stageService); sc != nil {
			writeV4Error(w, x.scenarioError(sc), x.en, x.requestID)
			return
		}
		if aerr := x.checkAccess(); aerr != nil {
			writeV4Error(w, aerr, x.en, x.requestID)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkAccess is the real server's scope interceptor, then its permission
// check on the user API.
func (x *exchange) checkAccess() *apiError {
	sc, aerr := x.gen.checkScope(x.scope)
	if aerr == nil && sc != nil && x.api == apiUser && !x.gen.fx.CanAccess(x.ident.user, sc.Scope) {
		aerr = &apiError{kind: errNoPermission, user: x.ident.user, scope: sc}
	}
	return aerr
}

// checkScope is the real server's scope interceptor: when both scope
// parameters are given, the type must be known and the scope must exist.
// It returns the scope (nil when a part is blank) or the error.
func (g *generation) checkScope(scope bkjob.Scope) (*scopeDenied, *apiError) {
	if blank(scope.Type) || blank(scope.ID) {
		return nil, nil
	}
	switch scope.Type {
	case bkjob.ScopeBiz, bkjob.ScopeBizSet, bkjob.ScopeTenantSet:
	default:
		return nil, &apiError{kind: errInvalidParam, param: "bk_scope_type"}
	}
	sc, ok := g.fx.LookupScope(scope)
	if !ok {
		return nil, &apiError{kind: errScopeNotFound}
	}
	return &scopeDenied{Scope: scope, name: sc.Name}, nil
}
