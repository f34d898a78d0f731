package contract

import (
	"fmt"
	"strings"
)

func systemChecks() []checkDef {
	need := func(t *checker) {
		if !t.s.cfg.System {
			t.skipConfigf("no --system given")
		}
	}
	return []checkDef{
		{"system/default_query", "the system API answers like the user API", func(t *checker) {
			need(t)
			q := pageParams(t.baseParams(), 0, 10)
			sys := t.list("system API, offset=0&length=10", request{system: true, query: q})
			user := t.list("user API, offset=0&length=10", request{query: q})
			if !equalIDs(ids(sys), ids(user)) {
				t.errorf(nil, "the system API returned %s, the user API %s", fmtIDs(ids(sys)), fmtIDs(ids(user)))
			}
		}},
		{"system/app_only_auth", "the system API needs no user identity", func(t *checker) {
			need(t)
			auth := t.s.authWithout("bk_username", "bk_token", "access_token")
			t.list("system API without bk_username, bk_token or access_token", request{system: true, query: t.baseParams(), auth: authCustom, custom: auth})
		}},
		{"system/no_permission_check", "the system API skips the permission check: a forbidden scope answers 200", func(t *checker) {
			need(t)
			sc := t.s.cfg.ForbiddenScope
			if sc.Type == "" {
				t.skipConfigf("no --forbidden-scope given")
			}
			from, to := t.s.window()
			t.list("system API, scope "+sc.String(), request{system: true, query: scopeParams(sc, from, to)})
		}},
		{"system/missing_scope", "the system API answers 404 NOT_FOUND for a scope that does not exist", func(t *checker) {
			need(t)
			sc := t.s.cfg.MissingScope
			if sc.Type == "" {
				t.skipConfigf("no --missing-scope given")
			}
			from, to := t.s.window()
			ex := t.do(request{system: true, query: scopeParams(sc, from, to)})
			t.expectError(ex, "system API, scope "+sc.String(), errNotFound)
		}},
		{"system/no_auth_header", "the system API without X-Bkapi-Authorization: the gateway's 400", func(t *checker) {
			need(t)
			ex := t.do(request{system: true, query: t.baseParams(), auth: authNone})
			t.expectGateway400(ex, "system API without X-Bkapi-Authorization", reasonNoAppCode)
		}},
	}
}

func conformanceChecks() []checkDef {
	c := func(name, doc string, kind problemKind) checkDef {
		return checkDef{name, doc, func(t *checker) {
			all := t.s.client.exchanges()
			seen := 0
			var bad []*exchange
			for _, ex := range all {
				if ex.err != nil || !ex.examined[kind] {
					continue
				}
				seen++
				for _, p := range ex.problems {
					if p.kind == kind {
						bad = append(bad, ex)
						break
					}
				}
			}
			if seen == 0 {
				t.skipDataf("no response this check applies to")
			}
			if len(bad) == 0 {
				return
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%d of %d responses:", len(bad), seen)
			for i, ex := range bad {
				if i == 3 {
					fmt.Fprintf(&b, "\n… and %d more", len(bad)-3)
					break
				}
				for _, p := range ex.problems {
					if p.kind == kind {
						fmt.Fprintf(&b, "\n%s: %s", ex.check, p.msg)
						break
					}
				}
			}
			t.errorf(bad[0], "%s", b.String())
		}}
	}
	return []checkDef{
		c("conformance/status_documented", "every status received is documented in openapi.yaml", problemStatus),
		c("conformance/content_type", "every response has the Content-Type openapi.yaml gives (application/json)", problemContentType),
		c("conformance/schema", "every response, error bodies included, matches its schema in openapi.yaml (kin-openapi ValidateResponse)", problemSchema),
		c("conformance/job_request_id", "every v4 response, success or error, carries job_request_id (32 lowercase hex)", problemJobRequestID),
		c("conformance/no_null_fields", "v4 responses omit absent fields rather than writing null", problemNull),
	}
}
