package mock

import (
	"net/http"
	"sync"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// pagePool holds the slices pages are listed into, so that answering a page
// allocates none.
var pagePool = sync.Pool{New: func() any { p := make([]bkjob.JobInstance, 0, 20); return &p }}

// writePage lists the page of x's query into a pooled slice and writes it,
// or the gateway's timeout when the query is over its budget.
func (srv *Server) writePage(w http.ResponseWriter, r *http.Request, x *exchange, now int64) {
	pp := pagePool.Get().(*[]bkjob.JobInstance)
	items, err := x.gen.list(r.Context(), (*pp)[:0], x.query, now)
	if err != nil {
		srv.overBudget(w, r, x.requestID, err)
	} else {
		writeList(w, items, x.requestID)
	}
	clear(items) // let go of the page's strings
	*pp = items[:0]
	pagePool.Put(pp)
}

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
		sc := x.plan.get(slotAnswer, stageData)
		if sc == nil {
			srv.writePage(w, r, x, now)
			return
		}
		items, err := x.gen.shape(r.Context(), sc, x.query, now, srv.cfg.Seed)
		if err != nil {
			srv.overBudget(w, r, x.requestID, err)
			return
		}
		writeList(w, items, x.requestID)
	})
}

// overBudget answers a query that could not be answered within its budget
// (or whose client has gone) as the gateway answers a backend that is too
// slow: 504 REQUEST_BACKEND_TIMEOUT, with X-Mock-Error: query-budget saying
// it was the mock's own bound, and why in the log.
func (srv *Server) overBudget(w http.ResponseWriter, r *http.Request, requestID string, err error) {
	if r.Context().Err() == nil {
		srv.log.WarnContext(r.Context(), "query over budget", "job_request_id", requestID, "err", err)
	}
	w.Header().Set("X-Mock-Error", "query-budget")
	writeGatewayError(w, gatewayTimeout())
}

// writeList writes a 200 list answer, encoded into a pooled buffer.
func writeList(w http.ResponseWriter, items []bkjob.JobInstance, requestID string) {
	bp := bufPool.Get().(*[]byte)
	b := appendList((*bp)[:0], items, requestID)
	writeJSON(w, http.StatusOK, b)
	*bp = b
	bufPool.Put(bp)
}
