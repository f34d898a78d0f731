// Package mock is an http.Handler that answers BlueKing Job's
// get_job_instance_list exactly like the real stack (API gateway, then
// job-execute), over a deterministic generated job history.
//
// Its files come in three parts, named by prefix: stack_*.go imitate the
// real stack (gateway, scope and permission, validation, the list, error
// envelopes); scenario_*.go are what QA can force (catalog, plan, admin
// activations, fixtures rules, data shapes, transport faults); admin_*.go are
// the mock's own API and page (journal, exports, masking, reload).
// exchange.go decodes each API request once; routes.go wires everything.
package mock

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/internal/spec"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

// Config configures a mock. Only Fixtures is required; every zero value
// means what the CLI's flag of the same name means when it is 0 or empty.
type Config struct {
	Fixtures   *fixtures.Fixtures
	Seed       int64            // seed of the generated history; 0 picks one (see Server.Seed)
	Now        func() time.Time // the clock; nil means time.Now
	Clock      string           // how Now behaves in words, for GET /__mock/config ("pinned at T", "running from T"); "" means "running" when Now is nil
	Quirks     bool             // reproduce the real server's bugs instead of the contract
	BasePath   string           // also serve the API under this prefix, e.g. /prod
	CORSOrigin string           // allowed browser origins, comma-separated (ORIGIN, scheme://host:* or *); "" means DefaultCORSOrigins, "off" none
	Scale      float64          // multiplies every scope's task rate; 0 means 1
	// QueryBudget bounds the time one API query may spend generating and
	// reading history: past it the query answers the gateway's 504
	// (REQUEST_BACKEND_TIMEOUT) with X-Mock-Error: query-budget, and the days
	// it asked for go on generating. 0 means DefaultQueryBudget.
	QueryBudget time.Duration
	Logger      *slog.Logger // request log; nil discards

	// JournalSize is how many requests the journal keeps (the newest ones);
	// 0 keeps no journal. DefaultJournalSize is the CLI's default.
	JournalSize int
	// JournalBytes bounds the bytes the journal holds (the oldest entries are
	// evicted first); 0 means DefaultJournalBytes.
	JournalBytes int64
	// AdminToken, when set, lets admin API writes (POST, DELETE under /__mock/)
	// come from any address with "Authorization: Bearer TOKEN" or
	// "X-Mock-Admin-Token: TOKEN"; when empty, only loopback clients may write.
	AdminToken string

	// Recorded serves these scopes from recorded tasks instead of their
	// generated history; each must be a scope of the fixtures.
	Recorded []*recorded.Source
	// RecordedShift moves each recorded scope in time so that its newest
	// time sits at the clock's now when the fixtures are loaded (New, Reload).
	RecordedShift bool
	// Pprof serves net/http/pprof under /__mock/debug/pprof/ to loopback
	// clients (403 to others); off, those paths answer 404.
	Pprof bool

	// Proxy, when set, makes the Server a proxy in front of an
	// implementation of the API instead of a mock of it (see ProxyConfig);
	// Fixtures may then be nil.
	Proxy *ProxyConfig
}

// DefaultQueryBudget is how long one API query may spend generating and
// reading history unless Config.QueryBudget says otherwise.
const DefaultQueryBudget = 10 * time.Second

func (srv *Server) queryBudget() time.Duration {
	if srv.cfg.QueryBudget <= 0 {
		return DefaultQueryBudget
	}
	return srv.cfg.QueryBudget
}

// MemoryBound returns the most memory the history and the journal of the
// fixtures being served hold, in bytes, as documented.
func (srv *Server) MemoryBound() (history, journal int64) {
	if srv.journal != nil {
		journal = srv.journal.stats().MaxBytes
	}
	return srv.gen.Load().history.MaxBytes(), journal
}

// MemoryHeld returns what the history of the fixtures being served and the
// journal hold now, in bytes (at most MemoryBound).
func (srv *Server) MemoryHeld() (history, journal int64) {
	if srv.journal != nil {
		journal = srv.journal.stats().Bytes
	}
	return srv.gen.Load().history.Stats().Bytes, journal
}

// Server is the mock as an http.Handler whose fixtures can be replaced while it
// serves (Reload, Watch). The journal and the scenarios switched on through the
// admin API belong to the Server and survive a reload.
type Server struct {
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	spec    *spec.Spec
	gen     atomic.Pointer[generation] // what the fixtures make; swapped whole by Reload
	journal *journal                   // nil when off
	exports chan struct{}              // one token per journal export being answered
	store   *scenarioStore
	reloads reloadLog
	handler http.Handler
}

// generation is what one fixtures file makes: the fixtures, their generated
// history and their scenario rules. Reload swaps it whole, so a request sees
// one generation from its first layer to its last.
type generation struct {
	fx       *fixtures.Fixtures
	history  *history.History
	recorded map[bkjob.Scope]*recorded.Source // nil when none
	rules    []rule
	auth     *authCache
}

// New returns the mock. It loads the embedded openapi.yaml (once per process)
// and builds the first generation from cfg.Fixtures; an error means the
// build is broken or the configuration or the fixtures' rules are invalid.
func New(cfg Config) (*Server, error) {
	if cfg.Proxy != nil {
		p := *cfg.Proxy
		if err := checkProxy(&p); err != nil {
			return nil, err
		}
		cfg.Proxy = &p
		if cfg.Fixtures == nil { // the admin page reads them
			fx, err := fixtures.Default()
			if err != nil {
				return nil, err
			}
			cfg.Fixtures = fx
		}
	}
	if cfg.Fixtures == nil {
		return nil, errors.New("mock: Config.Fixtures is required")
	}
	if cfg.JournalSize < 0 {
		return nil, fmt.Errorf("mock: Config.JournalSize must be 0 (no journal) or more, got %d", cfg.JournalSize)
	}
	if cfg.JournalBytes < 0 {
		return nil, fmt.Errorf("mock: Config.JournalBytes must be 0 (the default, %d) or more, got %d", DefaultJournalBytes, cfg.JournalBytes)
	}
	if cfg.JournalBytes == 0 {
		cfg.JournalBytes = DefaultJournalBytes
	}
	if cfg.Seed == 0 {
		cfg.Seed = RandomSeed()
	}
	if cfg.BasePath != "" {
		cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
		if cfg.BasePath == "/" {
			cfg.BasePath = ""
		}
	}
	sp, err := spec.Embedded()
	if err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	srv := &Server{cfg: cfg, now: cfg.Now, log: cfg.Logger, spec: sp, journal: newJournal(cfg.JournalSize, cfg.JournalBytes), exports: make(chan struct{}, maxExports), store: newScenarioStore(time.Now)}
	if srv.now == nil {
		srv.now = time.Now
	}
	if srv.log == nil {
		srv.log = slog.New(slog.DiscardHandler)
	}
	g, err := srv.generation(cfg.Fixtures)
	if err != nil {
		return nil, err
	}
	srv.gen.Store(g)
	srv.handler = srv.routes()
	return srv, nil
}

// RandomSeed returns a random non-zero seed, what a seed of 0 stands for.
func RandomSeed() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:])>>1) | 1
}

// Seed returns the seed of the history, the one picked if Config.Seed was 0.
func (srv *Server) Seed() int64 { return srv.cfg.Seed }

// ServeHTTP serves the mock: the API, the admin API and page under /__mock/.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { srv.handler.ServeHTTP(w, r) }

// generation builds what serving fx needs: its history and its scenario rules.
func (srv *Server) generation(fx *fixtures.Fixtures) (*generation, error) {
	rules, err := compileRules(fx)
	if err != nil {
		return nil, err
	}
	opt := history.Options{Seed: srv.cfg.Seed, Scale: srv.cfg.Scale, Budget: srv.queryBudget()}
	if err := opt.Check(fx); err != nil {
		return nil, fmt.Errorf("mock: fixtures %s: %w", fx.Source, err)
	}
	rec, err := srv.recordedScopes(fx)
	if err != nil {
		return nil, err
	}
	return &generation{fx: fx, history: history.New(fx, opt), recorded: rec, rules: rules, auth: &authCache{}}, nil
}
