package mock

import (
	"net/http"

	"github.com/gorilla/mux"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// routes wires every route of the mock. The API's middleware run in this
// order: gateway authentication → scope and permission → kin-openapi
// validation → the handler; logging and CORS wrap everything.
func (s *server) routes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = handleAPINotFound()
	r.MethodNotAllowedHandler = handleAPINotFound()

	list := s.handleJobInstanceList()
	for _, prefix := range s.prefixes() {
		r.Handle(prefix+bkjob.UserAPIPath, s.gateway(true, s.scopeAccess(s.validation(s.userRoute, list)))).Methods(http.MethodGet)
		r.Handle(prefix+bkjob.SystemAPIPath, s.gateway(false, s.scopeAccess(s.validation(s.systemRoute, list)))).Methods(http.MethodGet)
	}
	r.Handle("/__mock/health", handleHealth()).Methods(http.MethodGet)
	r.Handle("/__mock/openapi.yaml", handleOpenAPI()).Methods(http.MethodGet)
	return s.cors(s.logRequests(r))
}

// prefixes are the path prefixes the API is served under.
func (s *server) prefixes() []string {
	if s.cfg.BasePath == "" {
		return []string{""}
	}
	return []string{"", s.cfg.BasePath}
}
