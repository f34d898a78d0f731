package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	apispec "github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// Header names the suite sends.
const (
	authHeader     = "X-Bkapi-Authorization"
	languageHeader = "Blueking-Language"
)

// maxBody bounds how much of a response body is read.
const maxBody = 4 << 20

// errBudget is returned when a run has used up its request budget.
var errBudget = errors.New("request budget used up")

// param is one query parameter; params keep the order they were set in so
// that the printed curl commands read naturally.
type param struct{ key, value string }

// params is an ordered query string. with keeps a key once; a check may
// append a repeated key on purpose.
type params []param

func (p params) get(key string) (string, bool) {
	for _, kv := range p {
		if kv.key == key {
			return kv.value, true
		}
	}
	return "", false
}

// with returns a copy of p with key set to value (appended if new).
func (p params) with(key, value string) params {
	out := make(params, 0, len(p)+1)
	found := false
	for _, kv := range p {
		if kv.key == key {
			kv.value, found = value, true
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, param{key, value})
	}
	return out
}

// withInt is with for an integer value.
func (p params) withInt(key string, v int64) params { return p.with(key, fmt.Sprint(v)) }

// without returns a copy of p without key.
func (p params) without(key string) params {
	out := make(params, 0, len(p))
	for _, kv := range p {
		if kv.key != key {
			out = append(out, kv)
		}
	}
	return out
}

func (p params) encode() string {
	var b strings.Builder
	for i, kv := range p {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv.value))
	}
	return b.String()
}

// authMode says what X-Bkapi-Authorization a request carries.
type authMode int

const (
	authConfigured authMode = iota // Config.Auth
	authNone                       // no header
	authCustom                     // request.auth (a deliberately bad one)
)

// request is one GET the suite sends.
type request struct {
	system   bool // the system API instead of the user API
	query    params
	auth     authMode
	custom   string // the header when auth is authCustom
	language string // Blueking-Language, if any
	fresh    bool   // do not answer from the cache
}

func (r request) path() string {
	if r.system {
		return bkjob.SystemAPIPath
	}
	return bkjob.UserAPIPath
}

// exchange is one request and what came back, plus what the conformance
// checks found about the response.
type exchange struct {
	check   string // the check that sent it
	req     request
	url     string
	header  http.Header // request headers sent
	status  int
	respHdr http.Header
	body    []byte
	err     error // transport failure
	// decoded body: nil when the body is not JSON
	json any
	// v4 says the response comes from bk-job rather than the gateway: it
	// carried valid credentials and is not in the gateway's legacy envelope.
	v4       bool
	problems []problem          // conformance problems
	examined [problemKinds]bool // which conformance checks apply to it
	elapsed  time.Duration
}

// client sends requests politely: a rate cap, a per-request timeout and a
// budget for the whole run; it validates every response it receives.
type client struct {
	cfg      *Config
	validate func(*exchange)
	secrets  []string // values masked in curl commands

	mu       sync.Mutex
	sent     int
	next     time.Time // earliest start of the next request (rate cap)
	cache    map[string]*exchange
	exchange []*exchange
}

func newClient(cfg *Config, validate func(*exchange)) *client {
	return &client{cfg: cfg, validate: validate, cache: map[string]*exchange{}, secrets: secretsOf(cfg.Auth)}
}

func (c *client) key(r request) string {
	return fmt.Sprintf("%v|%s|%d|%s|%s", r.system, r.query.encode(), r.auth, r.custom, r.language)
}

// do sends r, or answers it from the cache when an identical request was sent
// before (unless r.fresh). check names the check that asks.
func (c *client) do(ctx context.Context, check string, r request) (*exchange, bool, error) {
	k := c.key(r)
	c.mu.Lock()
	if ex, ok := c.cache[k]; ok && !r.fresh {
		c.mu.Unlock()
		return ex, true, nil
	}
	if c.sent >= c.cfg.MaxRequests {
		c.mu.Unlock()
		return nil, false, errBudget
	}
	c.sent++
	wait := time.Until(c.next)
	if c.cfg.Rate > 0 {
		start := time.Now()
		if wait > 0 {
			start = c.next
		}
		c.next = start.Add(time.Duration(float64(time.Second) / c.cfg.Rate))
	}
	c.mu.Unlock()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		case <-t.C:
		}
	}
	ex := c.send(ctx, check, r)
	if ex.err == nil {
		c.validate(ex)
	}
	c.mu.Lock()
	c.exchange = append(c.exchange, ex)
	if ex.err == nil {
		c.cache[k] = ex
	}
	c.mu.Unlock()
	return ex, false, nil
}

func (c *client) send(ctx context.Context, check string, r request) *exchange {
	ex := &exchange{check: check, req: r, url: c.cfg.BaseURL + r.path(), header: http.Header{}}
	if q := r.query.encode(); q != "" {
		ex.url += "?" + q
	}
	switch r.auth {
	case authConfigured:
		ex.header.Set(authHeader, c.cfg.Auth)
	case authCustom:
		ex.header.Set(authHeader, r.custom)
	}
	if r.language != "" {
		ex.header.Set(languageHeader, r.language)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ex.url, nil)
	if err != nil {
		ex.err = err
		return ex
	}
	for k, v := range ex.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		ex.err = err
		return ex
	}
	defer resp.Body.Close()
	ex.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	ex.elapsed = time.Since(start)
	if err != nil {
		ex.err = fmt.Errorf("reading the body: %w", err)
		return ex
	}
	ex.status = resp.StatusCode
	ex.respHdr = resp.Header
	dec := json.NewDecoder(bytes.NewReader(ex.body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil && !dec.More() {
		ex.json = v
	}
	ex.v4 = r.auth == authConfigured && !isGatewayEnvelope(ex.json)
	return ex
}

// exchanges returns every exchange of the run so far, in order.
func (c *client) exchanges() []*exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*exchange(nil), c.exchange...)
}

func (c *client) requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
}

// isGatewayEnvelope reports whether v is the API gateway's legacy envelope
// {code, code_name, message, result, data}.
func isGatewayEnvelope(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, hasName := m["code_name"]
	_, hasResult := m["result"]
	return hasName || hasResult
}

// secretsOf returns the secret values of an X-Bkapi-Authorization header.
func secretsOf(auth string) []string {
	var m map[string]any
	if json.Unmarshal([]byte(auth), &m) != nil {
		return nil
	}
	var out []string
	for _, k := range apispec.SecretKeys {
		if s, ok := m[k].(string); ok && s != "" {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// MaskAuth returns an X-Bkapi-Authorization value with its secrets
// (bk_app_secret, bk_token, access_token, bk_signature) replaced by "***",
// as the mock's journal masks them. Text that holds no secret is returned
// as is.
func MaskAuth(auth string) string { return apispec.MaskAuth(auth) }

// curl returns a shell command that repeats the request, secrets masked.
func (c *client) curl(ex *exchange) string {
	var b strings.Builder
	b.WriteString("curl -sS")
	keys := make([]string, 0, len(ex.header))
	for k := range ex.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := ex.header.Get(k)
		if k == authHeader {
			v = MaskAuth(v)
		}
		b.WriteString(" -H " + apispec.ShellQuote(k+": "+v))
	}
	b.WriteString(" " + apispec.ShellQuote(ex.url))
	return c.mask(b.String())
}

// mask removes any secret value left in s (e.g. a secret echoed in a URL).
func (c *client) mask(s string) string {
	for _, sec := range c.secrets {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}
