package mock

import (
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/routers"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// handleJobInstanceList answers GET /api/v4/get_job_instance_list and
// GET /api/v4/system/get_job_instance_list once the request has passed every check.
func (s *server) handleJobInstanceList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		q, now := decodeQuery(x.query, s.cfg.Quirks), s.now().UnixMilli()
		var items []bkjob.JobInstance
		if sc := x.plan.get(slotAnswer, stageData); sc != nil {
			items = s.shape(sc, q, now)
		} else {
			items = s.history.List(q, now)
		}
		bp := bufPool.Get().(*[]byte)
		b := appendList((*bp)[:0], items, x.requestID)
		writeJSON(w, http.StatusOK, b)
		*bp = b
		bufPool.Put(bp)
	})
}

// handleHealth answers GET /__mock/health: 200 once the mock is ready, which
// is as soon as it is serving.
func handleHealth() http.Handler {
	body := []byte(`{"status":"ok"}` + "\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, body)
	})
}

// handleOpenAPI answers GET /__mock/openapi.yaml with the embedded contract.
func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		w.Write(bkjob.OpenAPISpec)
	})
}

// findRoute resolves an API path to its operation in openapi.yaml.
func (s *server) findRoute(path string) (*routers.Route, error) {
	req, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	route, _, err := s.router.FindRoute(req)
	return route, err
}
