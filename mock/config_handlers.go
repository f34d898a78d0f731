package mock

import (
	"net/http"
	"strconv"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// handleConfig answers GET /__mock/config: what the mock serves from (seed,
// now, fixtures and their rules, options) and how fixture reloads went.
// Secrets (app secrets, tokens) are not shown.
func (srv *Server) handleConfig() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := srv.gen.Load()
		now := g.now()
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
			scopes = append(scopes, scopeView{sc.Key(), sc.Name, sc.TasksPerMinute})
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
			n, size, last := srv.journal.stats()
			journal["size"], journal["held"], journal["last_id"] = size, n, last
		}
		cfg := g.cfg
		writeAdminJSON(w, http.StatusOK, map[string]any{
			"seed":   cfg.Seed,
			"now":    now.Format(time.RFC3339Nano),
			"now_ms": now.UnixMilli(),
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
			"quirks":       cfg.Quirks,
			"scale":        cfg.Scale,
			"base_path":    cfg.BasePath,
			"cors_origin":  cfg.CORSOrigin,
			"admin_token":  cfg.AdminToken != "",
			"scenario_hdr": ScenarioHeader,
		})
	})
}

// handleData answers GET /__mock/data: the history as the API lists it, with
// the API's parameters and the same validation, but without authentication,
// permission checks or scenarios; for the admin page's data browser. The
// scope defaults to the first of the fixtures, the window to the 30 days
// before now.
func (srv *Server) handleData() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := srv.gen.Load()
		q := firstValues(r.URL.RawQuery)
		for k, v := range q { // the page sends every field; blank means absent
			if v[0] == "" && k != "bk_scope_id" && k != "bk_scope_type" {
				delete(q, k)
			}
		}
		if q.Get("bk_scope_type") == "" && q.Get("bk_scope_id") == "" && len(g.fx.Scopes) > 0 {
			q.Set("bk_scope_type", g.fx.Scopes[0].Type)
			q.Set("bk_scope_id", g.fx.Scopes[0].ID)
		}
		now := g.now().UnixMilli()
		if q.Get("create_time_start") == "" {
			q.Set("create_time_start", strconv.FormatInt(now-30*24*3600*1000, 10))
		}
		if q.Get("create_time_end") == "" {
			q.Set("create_time_end", strconv.FormatInt(now, 10))
		}
		vreq, err := http.NewRequestWithContext(r.Context(), http.MethodGet, bkjob.SystemAPIPath+"?"+q.Encode(), nil)
		if err != nil {
			writeMockError(w, mockBadRequest("%v", err))
			return
		}
		if _, aerr := g.checkScope(q); aerr != nil {
			msg, _ := aerr.message(true)
			writeMockError(w, &mockError{status: v4Errors[aerr.kind].status, Code: v4Errors[aerr.kind].code, Message: msg})
			return
		}
		problems, err := g.validate(r.Context(), vreq, g.systemRoute, map[string]string{}, q)
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
		items := g.history.List(decodeQuery(q, g.cfg.Quirks), now)
		w.Header().Set("X-Mock-Query", q.Encode())
		writeJSON(w, http.StatusOK, appendList(nil, items, requestID(vreq)))
	})
}
