package mock

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/bkjob-mock/bkjob-mock/fixtures"
)

// Reasons the gateway gives for a 400 INVALID_ARGS, word for word.
const (
	reasonNoAppCode   = "app code cannot be empty"
	reasonNotJSON     = "request header X-Bkapi-Authorization is not a valid JSON"
	reasonNoSecret    = "please provide bk_app_secret or bk_signature to verify app"
	reasonBadSecret   = "bk_app_code or bk_app_secret is incorrect"
	reasonAppNotFound = "app not found"
	reasonNoUser      = "user authentication failed, please provide a valid user identity, such as bk_username, bk_token, access_token"
)

// AuthHeader is the gateway's authentication header.
const AuthHeader = "X-Bkapi-Authorization"

// identity is who the gateway let through.
type identity struct {
	app  string
	user string // "" on the system API
}

// authenticate checks X-Bkapi-Authorization as the API gateway does: the app
// always, the user too on the user API (needUser). Any non-empty secret or
// signature is accepted unless the fixtures list apps.
func authenticate(fx *fixtures.Fixtures, header string, needUser bool) (identity, *gatewayError) {
	if strings.TrimSpace(header) == "" {
		return identity{}, gatewayBadRequest(reasonNoAppCode)
	}
	var raw any
	if err := json.Unmarshal([]byte(header), &raw); err != nil {
		return identity{}, gatewayBadRequest(reasonNotJSON)
	}
	var obj map[string]any
	switch v := raw.(type) {
	case map[string]any:
		obj = v
	case []any:
		return identity{}, gatewayBadRequest(reasonNoAppCode)
	default:
		return identity{}, gatewayBadRequest(reasonNotJSON)
	}
	str := func(key string) string {
		s, _ := obj[key].(string)
		return s
	}
	id := identity{app: str("bk_app_code")}
	if id.app == "" {
		return identity{}, gatewayBadRequest(reasonNoAppCode)
	}
	secret, signature := str("bk_app_secret"), str("bk_signature")
	if secret == "" && signature == "" {
		return identity{}, gatewayBadRequest(reasonNoSecret)
	}
	if fx.AppsListed() {
		want, ok := fx.AppSecret(id.app)
		if !ok {
			return identity{}, gatewayBadRequest(reasonAppNotFound)
		}
		if secret != "" && secret != want {
			return identity{}, gatewayBadRequest(reasonBadSecret)
		}
	}
	if !needUser {
		return id, nil
	}
	if u := str("bk_username"); u != "" {
		id.user = u
		return id, nil
	}
	for _, key := range [...]string{"bk_token", "access_token"} {
		if tok := str(key); tok != "" {
			if u, ok := fx.TokenUser(tok); ok {
				id.user = u
				return id, nil
			}
		}
	}
	return identity{}, gatewayBadRequest(reasonNoUser)
}

// authCache remembers what authenticate answered for the headers of one
// generation's fixtures (the answer depends on nothing else), so that a
// client sending the same header again is not decoded again. It holds at
// most maxAuthCache headers, each at most maxAuthCacheKey bytes; past that,
// headers are authenticated every time.
type authCache struct {
	mu sync.RWMutex
	m  map[authKey]authAnswer
}

type authKey struct {
	header   string
	needUser bool
}

type authAnswer struct {
	id  identity
	err *gatewayError // shared by the requests with the header: never changed
}

const (
	maxAuthCache    = 1024
	maxAuthCacheKey = 1024
)

// authenticate is authenticate(fx, header, needUser), remembered.
func (c *authCache) authenticate(fx *fixtures.Fixtures, header string, needUser bool) (identity, *gatewayError) {
	key := authKey{header, needUser}
	c.mu.RLock()
	a, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		return a.id, a.err
	}
	a.id, a.err = authenticate(fx, header, needUser)
	if len(header) <= maxAuthCacheKey {
		c.mu.Lock()
		if c.m == nil {
			c.m = map[authKey]authAnswer{}
		}
		if len(c.m) < maxAuthCache {
			c.m[key] = a
		}
		c.mu.Unlock()
	}
	return a.id, a.err
}

// handleAPINotFound answers any method or path the gateway does not know.
func handleAPINotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeGatewayError(w, gatewayNotFound(r.Method, r.URL.Path))
	})
}

// gateway authenticates the request as the API gateway does (the user too
// on the user API). A gateway scenario answers once authentication has
// passed, where the real gateway rate limits, checks the app's permission
// and proxies.
func (srv *Server) gateway(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if _, gerr := x.auth(); gerr != nil {
			writeGatewayError(w, gerr)
			return
		}
		if sc := x.plan.get(slotAnswer, stageGateway); sc != nil {
			writeScenarioGatewayError(w, sc)
			return
		}
		next.ServeHTTP(w, r)
	})
}
