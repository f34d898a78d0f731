package mock

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"net"
	"net/http"
	"strconv"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// perform runs next under the plan's delay and fault: latency first, then
// the fault (reset and hang never call next; truncated and malformed-json
// spoil what next answers).
func (srv *Server) perform(w http.ResponseWriter, r *http.Request, next http.Handler) {
	x := exchangeOf(r)
	if d := x.plan.get(slotDelay, stageDelay); d != nil {
		if !sleep(r.Context(), latencyOf(d, srv.cfg.Seed, x.requestID)) {
			return // the client went away
		}
	}
	f := x.plan.get(slotFault, stageFault)
	if f == nil {
		next.ServeHTTP(w, r)
		return
	}
	switch f.def.name {
	case "reset":
		resetConnection(w, x)
	case "hang":
		sleep(r.Context(), f.max)
		closeConnection(w, x)
	case "truncated":
		a := &bufferedAnswer{header: http.Header{}}
		next.ServeHTTP(a, r)
		a.sendTruncated(w, x)
	case "malformed-json":
		a := &bufferedAnswer{header: http.Header{}}
		next.ServeHTTP(a, r)
		a.sendMalformed(w)
	default:
		next.ServeHTTP(w, r)
	}
}

// latencyOf is the delay of a latency scenario: its duration, or for a range
// a duration drawn from the seed and the request, so that the same request
// waits the same time on every run. Whole milliseconds.
func latencyOf(sc *scenario, seed int64, requestID string) time.Duration {
	if sc.max <= sc.min {
		return sc.min
	}
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(requestID))
	span := uint64((sc.max - sc.min) / time.Millisecond)
	return sc.min + time.Duration(h.Sum64()%(span+1))*time.Millisecond
}

// sleep waits d, or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// resetConnection drops the connection with a TCP RST (SO_LINGER 0) and
// nothing written. Without a hijackable connection (HTTP/2, a recorder) the
// handler aborts, which resets the stream.
func resetConnection(w http.ResponseWriter, x *exchange) {
	conn, _, err := http.NewResponseController(w).Hijack()
	x.recordNow()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok { // TLS
		conn = nc.NetConn()
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// closeConnection closes the connection without an answer.
func closeConnection(w http.ResponseWriter, x *exchange) {
	conn, _, err := http.NewResponseController(w).Hijack()
	x.recordNow()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// bufferedAnswer holds an answer so that a fault can spoil it.
type bufferedAnswer struct {
	header http.Header
	status int
	body   []byte
}

func (a *bufferedAnswer) Header() http.Header { return a.header }

func (a *bufferedAnswer) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}

func (a *bufferedAnswer) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	a.body = append(a.body, b...)
	return len(b), nil
}

func (a *bufferedAnswer) start(w http.ResponseWriter, contentLength int) {
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(contentLength))
	if a.status == 0 {
		a.status = http.StatusOK
	}
	w.WriteHeader(a.status)
}

// sendTruncated sends the status, the headers with the whole body's
// Content-Length, half the body, and closes the connection.
func (a *bufferedAnswer) sendTruncated(w http.ResponseWriter, x *exchange) {
	a.start(w, len(a.body))
	w.Write(a.body[:len(a.body)/2])
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return // the server closes a connection whose body is short
	}
	x.recordNow()
	if conn, _, err := rc.Hijack(); err == nil {
		conn.Close()
	}
}

// sendMalformed sends the status and headers with a body that is not JSON:
// the first half of the real one, then "...". A prefix of a JSON document
// that ends in "..." never parses.
func (a *bufferedAnswer) sendMalformed(w http.ResponseWriter) {
	half := a.body[: len(a.body)/2 : len(a.body)/2]
	body := append(half, "..."...)
	a.start(w, len(body))
	w.Write(body)
}

// writeScenarioGatewayError answers a gateway scenario.
func writeScenarioGatewayError(w http.ResponseWriter, sc *scenario) {
	e := sc.def.gateway(sc.arg)
	if e.status == http.StatusTooManyRequests {
		h := w.Header()
		h.Set("X-Bkapi-RateLimit-Limit", "100")
		h.Set("X-Bkapi-RateLimit-Remaining", "0")
		h.Set("X-Bkapi-RateLimit-Reset", "1")
		plugin := "bk-stage-rate-limit"
		if sc.arg == "resource" {
			plugin = "bk-resource-rate-limit"
		}
		h.Set("X-Bkapi-RateLimit-Plugin", plugin)
	}
	writeGatewayError(w, e)
}

// scenarioError is the error a contract-error scenario answers. no-permission
// names the requested scope (a business unless the request says biz_set) and
// the user (the app on the system API, which has none).
func (x *exchange) scenarioError(sc *scenario) *apiError {
	e := sc.def.service(sc.arg)
	if e.kind == errNoPermission {
		scope := x.scope
		if scope.Type != bkjob.ScopeBizSet {
			scope.Type = bkjob.ScopeBiz
		}
		name := scope.ID
		if fs, ok := x.gen.fx.LookupScope(scope); ok {
			name = fs.Name
		}
		e.scope = &scopeDenied{Scope: scope, name: name}
		e.user = x.ident.user
		if e.user == "" {
			e.user = x.ident.app
		}
	}
	return e
}
