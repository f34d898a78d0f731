package mock

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// ProxyConfig makes a Server a proxy in front of an implementation of the
// API (bkjob-mock proxy): every request outside /__mock/ goes to Upstream
// unchanged, headers included, and its answer comes back unchanged; Inspect
// is shown each answer of the API on the way. The journal, the admin API
// and page work as they do for the mock; the scenarios do not apply (send
// X-Mock-Scenario: it goes upstream with the rest).
type ProxyConfig struct {
	// Upstream is where the API lives: scheme://host[:port][/prefix]; the
	// request's path is appended to it.
	Upstream *url.URL
	// Timeout bounds each exchange with the upstream, from the request to
	// the end of the part of the body read for inspection; past it the
	// client gets the gateway's 504. 0 means DefaultUpstreamTimeout.
	Timeout time.Duration
	// InspectBytes is the most bytes of one body read for inspection (once
	// more for a gzip body, decompressed); a longer body is passed on
	// uninspected. 0 means DefaultInspectBytes.
	InspectBytes int64
	// Inspectors is how many answers are read for inspection at once (the
	// others wait), so that inspection holds at most Inspectors ×
	// InspectBytes × 2 bytes, whatever the traffic. 0 means DefaultInspectors.
	Inspectors int
	// Inspect returns the rules of the contract an answer of the API breaks;
	// nil inspects nothing. It is called concurrently.
	Inspect func(ProxiedAnswer) []Finding
	// NotInspected, if set, is told of each answer of the API passed on
	// without inspection, and why.
	NotInspected func(reason string)
	// Transport sends the requests upstream; nil means one of the proxy's
	// own, which leaves compression to the client.
	Transport http.RoundTripper
}

// Defaults of ProxyConfig.
const (
	DefaultUpstreamTimeout = 30 * time.Second
	DefaultInspectBytes    = 1 << 20
	DefaultInspectors      = 16
)

// ProxiedAnswer is one answer of the API as the proxy passes it on, and the
// request it answers.
type ProxiedAnswer struct {
	System     bool        // the system API
	RawQuery   string      // the request's query, as sent
	Header     http.Header // the request's headers, as sent upstream
	Status     int
	RespHeader http.Header
	Body       []byte // decompressed, when the upstream sent gzip
	URL        string // where the request went upstream
}

// Finding is a rule of the contract an answer breaks, named by the contract
// suite's check of it.
type Finding struct {
	Check   string `json:"check"`
	Message string `json:"message"`
}

// Reasons an answer of the API is passed on without inspection, as
// ProxyConfig.NotInspected hears them.
const (
	NotInspectedBudget   = "the body is larger than the inspection budget (--inspect-bytes)"
	NotInspectedEncoding = "the body has a Content-Encoding other than gzip"
	NotInspectedNoAnswer = "the upstream gave no answer (502)"
	NotInspectedTimeout  = "the upstream did not answer in time (504)"
	NotInspectedGone     = "the client went away before the answer"
)

// proxied is what the proxy learnt of one exchange, for the journal.
type proxied struct {
	inspected   bool
	findings    []Finding
	note        string // why the answer was not inspected
	upstreamErr string // why the upstream gave no answer
}

// contractView is what the journal shows of the contract's verdict on an
// answer the proxy passed on.
type contractView struct {
	Inspected bool      `json:"inspected"`
	Findings  []Finding `json:"findings"`
	Note      string    `json:"note,omitempty"` // why it was not inspected
}

// view returns the journal's view of p, messages clipped to the journal's
// field cap.
func (p *proxied) view() (*contractView, string) {
	v := &contractView{Inspected: p.inspected, Findings: []Finding{}, Note: p.note}
	for _, f := range p.findings {
		var c *cut
		v.Findings = append(v.Findings, Finding{clip(f.Check, maxJournalField, &c), clip(f.Message, maxJournalField, &c)})
	}
	return v, p.upstreamErr
}

// cost estimates the bytes v holds, for the journal's budget.
func (v *contractView) cost() int {
	if v == nil {
		return 0
	}
	n := 64 + len(v.Note)
	for _, f := range v.Findings {
		n += 48 + len(f.Check) + len(f.Message)
	}
	return n
}

// checkProxy validates cfg.Proxy and fills in its defaults.
func checkProxy(p *ProxyConfig) error {
	u := p.Upstream
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("mock: ProxyConfig.Upstream must be an http(s)://host[:port][/prefix] URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("mock: ProxyConfig.Upstream must have no query or fragment")
	}
	if p.Timeout < 0 || p.InspectBytes < 0 || p.Inspectors < 0 {
		return errors.New("mock: ProxyConfig.Timeout, InspectBytes and Inspectors must not be negative")
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultUpstreamTimeout
	}
	if p.InspectBytes == 0 {
		p.InspectBytes = DefaultInspectBytes
	}
	if p.Inspectors == 0 {
		p.Inspectors = DefaultInspectors
	}
	if p.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DisableCompression = true // Accept-Encoding is the client's to send
		t.MaxIdleConnsPerHost = 64
		p.Transport = t
	}
	return nil
}

// InspectionBound returns the most bytes the proxy holds for inspection (0
// when the Server is not a proxy).
func (srv *Server) InspectionBound() int64 {
	p := srv.cfg.Proxy
	if p == nil {
		return 0
	}
	return int64(p.Inspectors) * p.InspectBytes * 2
}

// proxyView is the proxy's configuration for GET /__mock/config; nil when
// the Server is not a proxy.
func (srv *Server) proxyView() map[string]any {
	p := srv.cfg.Proxy
	if p == nil {
		return nil
	}
	u := *p.Upstream
	u.User = nil
	return map[string]any{"upstream": u.String(), "timeout": p.Timeout.String(), "inspect_bytes": p.InspectBytes,
		"inspectors": p.Inspectors, "inspecting": p.Inspect != nil}
}

// proxyRoutes forwards every API request to the upstream and inspects the
// answers of the API: it is what apiRoutes is to the mock.
func (srv *Server) proxyRoutes() http.Handler {
	p := srv.cfg.Proxy
	slots := make(chan struct{}, p.Inspectors)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.Upstream)
			// Unchanged: what ReverseProxy strips of the forwarding headers goes on too.
			for k, vs := range pr.In.Header {
				if k == "Forwarded" || strings.HasPrefix(k, "X-Forwarded-") {
					pr.Out.Header[k] = vs
				}
			}
		},
		Transport:      p.Transport,
		ModifyResponse: func(resp *http.Response) error { return srv.inspectAnswer(resp, slots) },
		ErrorHandler:   srv.upstreamError,
		ErrorLog:       slog.NewLogLogger(srv.log.Handler(), slog.LevelWarn),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		x.proxied = &proxied{}
		x.requestID = "" // the upstream's, if it sends one
		if r.Method == http.MethodGet {
			switch {
			case strings.HasSuffix(r.URL.Path, bkjob.SystemAPIPath):
				x.api = apiSystem
			case strings.HasSuffix(r.URL.Path, bkjob.UserAPIPath):
				x.api = apiUser
			}
		}
		// The answer's Date and X-Bkapi-Request-Id are the upstream's; so is
		// its Vary, to which the proxy's CORS adds Origin if it lacks it.
		h := w.Header()
		delete(h, gatewayRequestIDHeader)
		delete(h, "Date")
		if vary := h["Vary"]; len(vary) > 0 {
			delete(h, "Vary")
			w = &varyWriter{ResponseWriter: w, vary: vary}
		}
		ctx, cancel := context.WithTimeout(r.Context(), p.Timeout)
		defer cancel()
		rp.ServeHTTP(w, r.WithContext(ctx))
	})
}

// inspectAnswer reads the body of an answer of the API, up to the budget,
// shows it to Inspect and puts it back for the client. An error reading it
// (the upstream timed out or broke off) becomes the gateway's 504 or 502.
func (srv *Server) inspectAnswer(resp *http.Response, slots chan struct{}) error {
	p := srv.cfg.Proxy
	x := exchangeOf(resp.Request)
	if x == nil || x.api == apiNone || p.Inspect == nil {
		return nil
	}
	notInspected := func(reason string) {
		x.proxied.note = reason
		if p.NotInspected != nil {
			p.NotInspected(reason)
		}
	}
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	if enc != "" && enc != "identity" && enc != "gzip" {
		notInspected(NotInspectedEncoding)
		return nil
	}
	select {
	case slots <- struct{}{}:
	case <-resp.Request.Context().Done():
		return resp.Request.Context().Err()
	}
	release := sync.OnceFunc(func() { <-slots })
	body, err := readUpTo(resp.Body, p.InspectBytes)
	if err != nil {
		release()
		return fmt.Errorf("reading the answer: %w", err)
	}
	if int64(len(body)) > p.InspectBytes {
		// Too long to inspect: what was read, then the rest, as it comes.
		rest := resp.Body
		resp.Body = &readCloser{io.MultiReader(bytes.NewReader(body), rest), func() error { release(); return rest.Close() }}
		notInspected(NotInspectedBudget)
		return nil
	}
	resp.Body.Close()
	resp.Body = &readCloser{bytes.NewReader(body), func() error { release(); return nil }}
	plain := body
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			plain, err = readUpTo(zr, p.InspectBytes)
		}
		if err != nil || int64(len(plain)) > p.InspectBytes {
			notInspected(NotInspectedBudget)
			if err != nil {
				x.proxied.note = "the gzip body does not decompress: " + err.Error()
			}
			return nil
		}
	}
	u := *resp.Request.URL
	u.User = nil
	findings := p.Inspect(ProxiedAnswer{
		System: x.api == apiSystem, RawQuery: resp.Request.URL.RawQuery, Header: resp.Request.Header,
		Status: resp.StatusCode, RespHeader: resp.Header, Body: plain, URL: u.String(),
	})
	for i, f := range findings { // as masked as the rest of the journal, whatever Inspect wrote
		findings[i].Message = spec.MaskEchoed(f.Message, x.authHdr)
	}
	x.proxied.findings = findings
	x.proxied.inspected = true
	var v struct {
		ID string `json:"job_request_id"`
	}
	if json.Unmarshal(plain, &v) == nil && len(v.ID) <= 64 {
		x.requestID = v.ID
	}
	return nil
}

// readUpTo reads r to its end or to max+1 bytes, whichever comes first.
func readUpTo(r io.Reader, max int64) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(io.LimitReader(r, max+1))
	return b.Bytes(), err
}

// readCloser is a body whose Close is close.
type readCloser struct {
	io.Reader
	close func() error
}

func (rc *readCloser) Close() error { return rc.close() }

// upstreamError answers as the gateway does when the upstream gives no
// answer: 504 when it took too long, else 502; X-Mock-Error says which, and
// the journal keeps why.
func (srv *Server) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	x := exchangeOf(r)
	ge, code, reason := gatewayBadGateway(), "upstream-unreachable", NotInspectedNoAnswer
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		ge, code, reason = gatewayTimeout(), "upstream-timeout", NotInspectedTimeout
		err = fmt.Errorf("no answer within %v: %w", srv.cfg.Proxy.Timeout, err)
	case errors.Is(err, context.Canceled):
		code, reason = "client-gone", NotInspectedGone
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error() // not the URL: its query may hold secrets
	}
	if x != nil {
		x.mockError = code
		x.proxied.upstreamErr = msg
		x.requestID = ""
		if x.api != apiNone {
			x.proxied.note = reason
			if n := srv.cfg.Proxy.NotInspected; n != nil {
				n(reason)
			}
		}
	}
	srv.log.WarnContext(r.Context(), "upstream", "path", r.URL.Path, "error", msg)
	h := w.Header()
	for k := range h { // anything the upstream's failed answer left
		if k != "Vary" && !strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	h[gatewayRequestIDHeader] = []string{newGatewayRequestID()}
	h.Set("X-Mock-Error", code)
	writeGatewayError(w, ge)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// varyWriter adds the proxy's own Vary values to the upstream's answer, those
// it lacks, as the headers are written.
type varyWriter struct {
	http.ResponseWriter
	vary []string
}

func (vw *varyWriter) WriteHeader(code int) {
	h := vw.Header()
	for _, v := range vw.vary {
		if !slices.ContainsFunc(h.Values("Vary"), func(have string) bool { return strings.Contains(strings.ToLower(have), strings.ToLower(v)) }) {
			h.Add("Vary", v)
		}
	}
	vw.ResponseWriter.WriteHeader(code)
}

func (vw *varyWriter) Write(b []byte) (int, error) { return vw.ResponseWriter.Write(b) }

func (vw *varyWriter) Unwrap() http.ResponseWriter { return vw.ResponseWriter }

// handleProxyNoScenarios answers POST /__mock/scenarios on a proxy: it
// forwards every request as it is, so a scenario switched on would never
// apply; it says so rather than accept it.
func handleProxyNoScenarios() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeMockError(w, &mockError{status: http.StatusConflict, Code: "PROXY_NO_SCENARIOS",
			Message: "a proxy forwards every request unchanged: scenarios apply only to bkjob-mock serve (an X-Mock-Scenario header is forwarded upstream as sent)"})
	})
}
