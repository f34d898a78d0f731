package mock

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// routes wires every route of the mock. CORS and the request log wrap
// everything. Under /__mock/ the admin guard comes first, then the admin
// routes. Every other request is an API request; its middleware run in this
// order: journal → (the generation's routes) scenarios → gateway
// authentication → scope and permission → kin-openapi validation → the handler.
func (srv *Server) routes() http.Handler {
	s := srv.base
	admin := srv.adminGuard(srv.adminRoutes())
	api := srv.journalRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.gen.Load().api.ServeHTTP(w, r)
	}))
	return s.cors(s.logRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == adminPrefix || strings.HasPrefix(r.URL.Path, adminPrefix+"/") {
			admin.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})))
}

const adminPrefix = "/__mock"

// apiRoutes wires the API of one generation; any other method or path gets
// the gateway's 404.
func (s *server) apiRoutes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = handleAPINotFound()
	r.MethodNotAllowedHandler = handleAPINotFound()

	list := s.handleJobInstanceList()
	for _, prefix := range s.prefixes() {
		r.Handle(prefix+bkjob.UserAPIPath, s.scenarios(s.gateway(true, s.scopeAccess(s.validation(s.userRoute, list))))).Methods(http.MethodGet)
		r.Handle(prefix+bkjob.SystemAPIPath, s.scenarios(s.gateway(false, s.scopeAccess(s.validation(s.systemRoute, list))))).Methods(http.MethodGet)
	}
	return r
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

	m.Handle("GET /__mock/scenarios/catalog", handleScenarioCatalog())
	m.Handle("GET /__mock/scenarios", srv.handleScenarioList())
	m.Handle("POST /__mock/scenarios", srv.handleScenarioCreate())
	m.Handle("DELETE /__mock/scenarios", srv.handleScenarioClear())
	m.Handle("DELETE /__mock/scenarios/{id}", srv.handleScenarioDelete())

	m.Handle("GET /__mock/requests", srv.handleRequestList())
	m.Handle("GET /__mock/requests.har", srv.handleRequestHAR())
	m.Handle("DELETE /__mock/requests", srv.handleRequestClear())
	m.Handle("GET /__mock/requests/{id}", srv.handleRequestGet())
	m.Handle("GET /__mock/requests/{id}/curl", srv.handleRequestCurl())

	m.Handle("/__mock/", handleAdminNotFound())
	return m
}

// prefixes are the path prefixes the API is served under.
func (s *server) prefixes() []string {
	if s.cfg.BasePath == "" {
		return []string{""}
	}
	return []string{"", s.cfg.BasePath}
}
