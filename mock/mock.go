// Package mock is an http.Handler that answers BlueKing Job's
// get_job_instance_list exactly like the real stack (API gateway, then
// job-execute), over a deterministic generated job history.
package mock

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
)

// Config configures a mock. Only Fixtures is required.
type Config struct {
	Fixtures   *fixtures.Fixtures
	Seed       int64            // seed of the generated history; 0 means 1
	Now        func() time.Time // the clock; nil means time.Now
	Quirks     bool             // reproduce the real server's bugs instead of the contract
	BasePath   string           // also serve the API under this prefix, e.g. /prod
	CORSOrigin string           // allowed browser origins, comma-separated, or *; "" disables CORS
	Scale      float64          // multiplies every scope's task rate; 0 means 1
	Logger     *slog.Logger     // request log; nil discards

	// JournalSize is how many requests the journal keeps (the newest ones);
	// 0 means DefaultJournalSize, a negative number keeps no journal.
	JournalSize int
	// AdminToken, when set, lets admin API writes (POST, DELETE under /__mock/)
	// come from any address with "Authorization: Bearer TOKEN" or
	// "X-Mock-Admin-Token: TOKEN"; when empty, only loopback clients may write.
	AdminToken string
}

// Server is the mock as an http.Handler whose fixtures can be replaced while it
// serves (Reload, Watch). The journal and the scenarios switched on through the
// admin API belong to the Server and survive a reload.
type Server struct {
	base    *server                // built once: spec, router, options; no fixtures
	gen     atomic.Pointer[server] // the serving generation: fixtures, history, rules
	journal *journal
	store   *scenarioStore
	reloads reloadLog
	handler http.Handler
}

// server holds what every request needs. One is built in New with the spec;
// each fixtures file gets a copy of it with its own fixtures, history and
// rules (a generation), swapped in whole by Reload.
type server struct {
	srv             *Server
	cfg             Config
	fx              *fixtures.Fixtures
	now             func() time.Time
	history         historian
	doc             *openapi3.T
	router          routers.Router
	userRoute       *routers.Route
	systemRoute     *routers.Route
	validateOptions openapi3filter.Options
	log             *slog.Logger
	rules           []rule       // scenarios the fixtures switch on by rule
	api             http.Handler // the API routes of this generation
}

// historian answers queries over the job history.
type historian interface {
	List(q bkjob.Query, now int64) []bkjob.JobInstance
}

// New returns the mock's handler, a *Server. It loads and validates the
// embedded openapi.yaml and builds its router once; an error means the build
// is broken or the fixtures' scenario rules are invalid.
func New(cfg Config) (http.Handler, error) {
	srv, err := NewServer(cfg)
	if err != nil {
		return nil, err
	}
	return srv, nil
}

// NewServer is New with the Server's own type, for Reload and Watch.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Fixtures == nil {
		return nil, errors.New("mock: Config.Fixtures is required")
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.BasePath != "" {
		cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
		if cfg.BasePath == "/" {
			cfg.BasePath = ""
		}
	}
	s := &server{cfg: cfg, now: cfg.Now, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(bkjob.OpenAPISpec)
	if err != nil {
		return nil, fmt.Errorf("mock: openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("mock: openapi.yaml is invalid: %w", err)
	}
	s.doc = doc
	if s.router, err = gorillamux.NewRouter(doc); err != nil {
		return nil, fmt.Errorf("mock: routing openapi.yaml: %w", err)
	}
	if s.userRoute, err = s.findRoute(bkjob.UserAPIPath); err != nil {
		return nil, fmt.Errorf("mock: openapi.yaml has no GET %s: %w", bkjob.UserAPIPath, err)
	}
	if s.systemRoute, err = s.findRoute(bkjob.SystemAPIPath); err != nil {
		return nil, fmt.Errorf("mock: openapi.yaml has no GET %s: %w", bkjob.SystemAPIPath, err)
	}
	s.validateOptions = openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true, // defaults are applied by decodeQuery, not by rewriting the URL
		// The gateway middleware has authenticated the request before validation runs.
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
	}
	srv := &Server{base: s, journal: newJournal(cfg.JournalSize), store: newScenarioStore()}
	s.srv = srv
	g, err := srv.generation(cfg.Fixtures)
	if err != nil {
		return nil, err
	}
	srv.gen.Store(g)
	srv.handler = srv.routes()
	return srv, nil
}

// ServeHTTP serves the mock: the API, the admin API and page under /__mock/.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { srv.handler.ServeHTTP(w, r) }

// generation builds what serving fx needs: its history, its scenario rules and
// the API routes over them.
func (srv *Server) generation(fx *fixtures.Fixtures) (g *server, err error) {
	rules, err := compileRules(fx)
	if err != nil {
		return nil, err
	}
	g = new(server)
	*g = *srv.base
	g.cfg.Fixtures, g.fx, g.rules = fx, fx, rules
	if g.history, err = newHistory(g.cfg); err != nil {
		return nil, fmt.Errorf("mock: fixtures %s: %w", fx.Source, err)
	}
	g.api = g.apiRoutes()
	return g, nil
}

// requestID returns the job_request_id of a request: 32 hex characters, the
// same for identical requests so that recorded answers can be compared.
func requestID(r *http.Request) string {
	h := md5.New()
	io.WriteString(h, r.Method)
	io.WriteString(h, "\x00")
	io.WriteString(h, r.URL.Path)
	io.WriteString(h, "\x00")
	io.WriteString(h, r.URL.RawQuery)
	io.WriteString(h, "\x00")
	io.WriteString(h, r.Header.Get(AuthHeader))
	io.WriteString(h, "\x00")
	io.WriteString(h, r.Header.Get(LanguageHeader))
	var sum [md5.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}
