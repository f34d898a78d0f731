package mock

import (
	"net/http"
	"strconv"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// handleConfig answers GET /__mock/config: what the mock serves from (seed,
// now, fixtures and their rules, options) and how fixture reloads went.
// Secrets (app secrets, tokens) are not shown.
func (srv *Server) handleConfig() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := srv.gen.Load()
		now := srv.now()
		type scopeView struct {
			Scope          string  `json:"scope"`
			Name           string  `json:"name"`
			TasksPerMinute float64 `json:"tasks_per_minute"`
		}
		type userView struct {
			Name   string   `json:"name"`
			Scopes []string `json:"scopes"`
		}
		scopes := make([]scopeView, 0, len(g.fx.Scopes))
		for i := range g.fx.Scopes {
			sc := &g.fx.Scopes[i]
			scopes = append(scopes, scopeView{sc.String(), sc.Name, sc.TasksPerMinute})
		}
		users := make([]userView, 0, len(g.fx.Users))
		for _, u := range g.fx.Users {
			users = append(users, userView{u.Name, u.Scopes})
		}
		apps := []string{}
		for _, a := range g.fx.Apps {
			apps = append(apps, a.Code)
		}
		journal := map[string]any{"enabled": srv.journal != nil}
		if srv.journal != nil {
			st := srv.journal.stats()
			journal["size"], journal["held"], journal["last_id"] = st.Size, st.Held, st.LastID
			journal["bytes"], journal["max_bytes"] = st.Bytes, st.MaxBytes
		}
		hs := g.history.Stats()
		hist := map[string]any{
			"max_bytes": g.history.MaxBytes(), "bytes": hs.Bytes, "days": hs.Days, "tasks": hs.Tasks,
			"query_budget": srv.queryBudget().String(),
		}
		cfg := srv.cfg
		clock := cfg.Clock
		if clock == "" {
			clock = "running"
			if cfg.Now != nil {
				clock = "custom"
			}
		}
		writeAdminJSON(w, http.StatusOK, map[string]any{
			"seed":   cfg.Seed,
			"now":    now.Format(time.RFC3339Nano),
			"now_ms": now.UnixMilli(),
			"clock":  clock,
			"wall":   time.Now().UTC().Format(time.RFC3339Nano), // the real time, beside the mock's clock
			"fixtures": map[string]any{
				"source": g.fx.Source,
				"scopes": scopes,
				"users":  users,
				"apps":   apps,
				"tokens": len(g.fx.Tokens),
				"rules":  srv.ruleViews(),
			},
			"reload":       srv.reloads.view(),
			"journal":      journal,
			"history":      hist,
			"quirks":       cfg.Quirks,
			"scale":        cfg.Scale,
			"base_path":    cfg.BasePath,
			"cors_origin":  cfg.CORSOrigin,
			"admin_token":  cfg.AdminToken != "",
			"scenario_hdr": ScenarioHeader,
			"proxy":        srv.proxyView(),
		})
	})
}

// handleData answers GET /__mock/data: the history as the API lists it, with
// the API's parameters and the same decoding and validation, but without
// authentication, permission checks or scenarios; for the admin page's data
// browser. The scope defaults to the first of the fixtures, the window to the
// retention window before now. Blank fields mean absent (the page sends
// every field).
func (srv *Server) handleData() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := srv.decodeRequest(r, srv.gen.Load())
		x.api = apiSystem
		for k, v := range x.params {
			if v[0] == "" && k != "bk_scope_id" && k != "bk_scope_type" {
				delete(x.params, k)
			}
		}
		if x.scope == (bkjob.Scope{}) && len(x.gen.fx.Scopes) > 0 {
			x.params.Set("bk_scope_type", x.gen.fx.Scopes[0].Type)
			x.params.Set("bk_scope_id", x.gen.fx.Scopes[0].ID)
		}
		now := srv.now().UnixMilli()
		if x.params.Get("create_time_start") == "" {
			x.params.Set("create_time_start", strconv.FormatInt(now-history.DefaultRetention.Milliseconds(), 10))
		}
		if x.params.Get("create_time_end") == "" {
			x.params.Set("create_time_end", strconv.FormatInt(now, 10))
		}
		x.decodeParams(srv.cfg.Quirks)
		if aerr := x.checkAccess(); aerr != nil {
			msg, _ := aerr.message(true)
			writeMockError(w, &mockError{status: v4Errors[aerr.kind].status, Code: v4Errors[aerr.kind].code, Message: msg})
			return
		}
		problems, err := srv.validate(r, x)
		if err != nil {
			writeMockError(w, mockBadRequest("%v", err))
			return
		}
		if len(problems) > 0 {
			e := &mockError{status: http.StatusBadRequest, Code: "INVALID_ARGUMENT"}
			for i, p := range problems {
				msg, detail := p.err.message(true)
				if detail != msg {
					msg += ": " + detail
				}
				if i > 0 {
					e.Message += "; "
				}
				e.Message += msg
			}
			writeMockError(w, e)
			return
		}
		w.Header().Set("X-Mock-Query", x.params.Encode())
		srv.writePage(w, r, x, now)
	})
}
