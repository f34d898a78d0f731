package mock

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// routes wires every route of the mock. CORS wraps everything. Under
// /__mock/ come the request log, the admin guard, then the admin routes.
// Every other request is an API request; its middleware run in this order:
//
//	exchanges (decode once) → request log → journal → route (user or system API,
//	else the gateway's 404) → scenarios → gateway authentication →
//	scope and permission → kin-openapi validation → the list handler.
func (srv *Server) routes() http.Handler {
	admin := srv.logRequests(srv.adminGuard(srv.adminRoutes()))
	var routes http.Handler
	if srv.cfg.Proxy != nil {
		routes = srv.proxyRoutes()
	} else {
		routes = srv.apiRoutes()
	}
	api := srv.exchanges(srv.logRequests(srv.journalRequests(routes)))
	return srv.cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == adminPrefix || strings.HasPrefix(r.URL.Path, adminPrefix+"/") {
			// API answers get theirs from exchanges; the mock's own too, so
			// that every answer carries one.
			w.Header()[gatewayRequestIDHeader] = []string{newGatewayRequestID()}
			admin.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}))
}

const adminPrefix = "/__mock"

// apiRoutes routes the two API resources (also under the base path) to the
// chain of the real stack; any other method or path gets the gateway's 404.
func (srv *Server) apiRoutes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = handleAPINotFound()
	r.MethodNotAllowedHandler = handleAPINotFound()

	chain := srv.scenarios(srv.gateway(srv.scopeAccess(srv.validation(srv.handleJobInstanceList()))))
	for _, prefix := range srv.prefixes() {
		r.Handle(prefix+bkjob.UserAPIPath, routeAs(apiUser, chain)).Methods(http.MethodGet)
		r.Handle(prefix+bkjob.SystemAPIPath, routeAs(apiSystem, chain)).Methods(http.MethodGet)
	}
	return r
}

// routeAs marks the exchange as a request for api.
func routeAs(api apiKind, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exchangeOf(r).api = api
		next.ServeHTTP(w, r)
	})
}

// adminRoutes wires the admin API and page under /__mock/.
func (srv *Server) adminRoutes() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /__mock/health", handleHealth())
	m.Handle("GET /__mock/openapi.yaml", handleOpenAPI())
	m.Handle("GET /__mock/{$}", handleAdminPage("index.html"))
	m.Handle("GET /__mock/admin.js", handleAdminPage("admin.js"))
	m.Handle("GET /__mock/admin.css", handleAdminPage("admin.css"))
	m.Handle("/__mock", http.RedirectHandler("/__mock/", http.StatusMovedPermanently))

	m.Handle("GET /__mock/config", srv.handleConfig())
	m.Handle("GET /__mock/data", srv.handleData())
	m.Handle("GET /__mock/data/histogram", srv.handleDataHistogram())

	m.Handle("GET /__mock/scenarios/catalog", handleScenarioCatalog())
	m.Handle("GET /__mock/scenarios", srv.handleScenarioList())
	if srv.cfg.Proxy != nil {
		m.Handle("POST /__mock/scenarios", handleProxyNoScenarios())
	} else {
		m.Handle("POST /__mock/scenarios", srv.handleScenarioCreate())
	}
	m.Handle("DELETE /__mock/scenarios", srv.handleScenarioClear())
	m.Handle("DELETE /__mock/scenarios/{id}", srv.handleScenarioDelete())

	m.Handle("GET /__mock/requests", srv.limitExports(srv.handleRequestList()))
	m.Handle("GET /__mock/requests.har", srv.limitExports(srv.handleRequestHAR()))
	m.Handle("DELETE /__mock/requests", srv.handleRequestClear())
	m.Handle("GET /__mock/requests/{id}", srv.limitExports(srv.handleRequestGet()))
	m.Handle("GET /__mock/requests/{id}/curl", srv.limitExports(srv.handleRequestCurl()))
	m.Handle("GET /__mock/requests/{id}/har", srv.limitExports(srv.handleRequestHAROne()))

	if srv.cfg.Pprof {
		m.Handle(pprofPrefix, handlePprof())
	} else {
		m.Handle(pprofPrefix, handlePprofOff())
	}

	m.Handle("/__mock/", handleAdminNotFound())
	return m
}

// prefixes are the path prefixes the API is served under.
func (srv *Server) prefixes() []string {
	if srv.cfg.BasePath == "" {
		return []string{""}
	}
	return []string{"", srv.cfg.BasePath}
}
