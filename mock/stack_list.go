package mock

import (
	"net/http"
	"sync"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// handleJobInstanceList answers GET /api/v4/get_job_instance_list and
// GET /api/v4/system/get_job_instance_list once the request has passed every check.
func (srv *Server) handleJobInstanceList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if x.queryErr != nil { // validation lets no such query through; if it did, say so
			srv.log.ErrorContext(r.Context(), "a query passed validation but does not decode", "job_request_id", x.requestID, "err", x.queryErr)
			writeV4Error(w, &apiError{kind: errInternal}, x.en, x.requestID)
			return
		}
		now := srv.now().UnixMilli()
		var items []bkjob.JobInstance
		if sc := x.plan.get(slotAnswer, stageData); sc != nil {
			items = x.gen.shape(sc, x.query, now, srv.cfg.Seed)
		} else {
			items = x.gen.list(x.query, now)
		}
		writeList(w, items, x.requestID)
	})
}

// writeList writes a 200 list answer, encoded into a pooled buffer.
func writeList(w http.ResponseWriter, items []bkjob.JobInstance, requestID string) {
	bp := bufPool.Get().(*[]byte)
	b := appendList((*bp)[:0], items, requestID)
	writeJSON(w, http.StatusOK, b)
	*bp = b
	bufPool.Put(bp)
}
