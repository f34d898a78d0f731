package contract_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/contract"
)

// mutation is a deliberately broken server: a correct one (the mock, or the
// fake) wrapped so that it breaks one rule of the contract.
type mutation struct {
	name     string
	wrap     func(http.Handler) http.Handler
	mustFail []string // checks that must catch it
	// ownClock runs the suite without a window, so that it follows the
	// target's clock and data as it does when no --from/--to is given.
	ownClock bool
}

// mutations is the table of broken servers. Every one must fail the checks
// it names, and every check must fail on at least one of them.
func mutations() []mutation {
	return []mutation{
		{"renamed field job_instance_id→id", editItems(func(_ *http.Request, it map[string]any) {
			it["id"] = it["job_instance_id"]
			delete(it, "job_instance_id")
		}), []string{"conformance/schema", "semantics/base_query"}, false},
		{"reversed order", editBody(func(_ *http.Request, status int, body map[string]any) int {
			list := items(body)
			slices.Reverse(list)
			return status
		}), []string{"semantics/order/create_time_desc"}, false},
		{"ties in descending id order", editBody(func(_ *http.Request, status int, body map[string]any) int {
			list := items(body)
			sort.SliceStable(list, func(i, j int) bool {
				a, b := list[i].(map[string]any), list[j].(map[string]any)
				ca, cb := num(a["create_time"]), num(b["create_time"])
				if ca != cb {
					return ca > cb
				}
				return num(a["job_instance_id"]) > num(b["job_instance_id"])
			})
			return status
		}), []string{"semantics/order/ties_by_id_asc"}, false},
		{"exclusive window bounds", editQuery(func(q url.Values) {
			if q.Get("job_instance_id") == "" {
				shift(q, "create_time_start", 1)
				shift(q, "create_time_end", -1)
			}
		}), []string{"semantics/window/inclusive_bounds"}, false},
		{"create_time_end ignored", editQuery(func(q url.Values) {
			if q.Has("create_time_end") && q.Get("create_time_end") != "" && q.Get("job_instance_id") == "" {
				if s, err := strconv.ParseInt(q.Get("create_time_start"), 10, 64); err == nil && s <= num(q.Get("create_time_end")) {
					q.Set("create_time_end", strconv.FormatInt(math.MaxInt64, 10))
				}
			}
		}), []string{"semantics/window/items_inside", "semantics/window/inclusive_bounds"}, false},
		{"start > end swapped", editQuery(func(q url.Values) {
			s, e := q.Get("create_time_start"), q.Get("create_time_end")
			if a, err1 := strconv.ParseInt(s, 10, 64); err1 == nil {
				if b, err2 := strconv.ParseInt(e, 10, 64); err2 == nil && a > b {
					q.Set("create_time_start", e)
					q.Set("create_time_end", s)
				}
			}
		}), []string{"semantics/window/start_after_end_empty"}, false},
		{"offset and length clamped", editQuery(func(q url.Values) {
			clamp(q, "offset", 0, 10000)
			clamp(q, "length", 1, 200)
		}), []string{"rules/range/offset_negative", "rules/range/offset_above_max", "rules/range/length_zero", "rules/range/length_above_max"}, false},
		{"offsets above 5000 rejected", editQuery(func(q url.Values) {
			if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 5000 {
				q.Set("offset", "10001") // the inner server's range error
			}
		}), []string{"rules/range/offset_max_accepted"}, false},
		{"default length 20", editQuery(func(q url.Values) {
			if q.Get("length") == "" {
				q.Set("length", "20")
			}
		}), []string{"semantics/default_length", "rules/empty_offset_length_default"}, false},
		{"length capped at 100", editQuery(func(q url.Values) {
			if n, err := strconv.Atoi(q.Get("length")); err == nil && n > 100 && n <= 200 {
				q.Set("length", "100")
			}
		}), []string{"semantics/length_honoured"}, false},
		{"500 on pages of 100 tasks or more", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n, err := strconv.Atoi(r.URL.Query().Get("length")); err == nil && n >= 100 && n <= 200 {
					writeV4(w, 500, "INTERNAL", "内部服务器异常", "1240002")
					return
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"semantics/base_query"}, false},
		{"off-by-one offset", editQuery(func(q url.Values) {
			if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 && n < 10000 {
				q.Set("offset", strconv.Itoa(n+1))
			}
		}), []string{"semantics/paging/concat", "semantics/paging/walk"}, false},
		{"substring operator", refilter("operator", func(v string, it map[string]any) bool {
			return strings.Contains(strings.ToLower(str(it["operator"])), strings.ToLower(v))
		}), []string{"semantics/filter/operator"}, false},
		{"exact name", refilter("name", func(v string, it map[string]any) bool {
			return strings.EqualFold(str(it["name"]), v)
		}), []string{"semantics/filter/name"}, false},
		{"case-sensitive name", refilter("name", func(v string, it map[string]any) bool {
			return strings.Contains(str(it["name"]), v)
		}), []string{"semantics/filter/name_case_insensitive"}, false},
		{"name filter ignored", dropParam("name"), []string{"semantics/filter/name"}, false},
		{"one task more than length", editQuery(func(q url.Values) {
			if n, err := strconv.Atoi(q.Get("length")); err == nil && n >= 1 && n < 200 {
				q.Set("length", strconv.Itoa(n+1))
			}
		}), []string{"semantics/length_honoured"}, false},
		{"operator filter ignored", dropParam("operator"), []string{"semantics/filter/operator"}, false},
		{"status filter ignored", dropParam("status"), []string{"semantics/filter/status"}, false},
		{"type filter ignored", dropParam("type"), []string{"semantics/filter/type"}, false},
		{"launch_mode filter ignored", dropParam("launch_mode"), []string{"semantics/filter/launch_mode"}, false},
		{"job_cron_id ignored", dropParam("job_cron_id"), []string{"semantics/filter/job_cron_id"}, false},
		{"ip ignored", dropParam("ip"), []string{"semantics/filter/ip", "semantics/filter/ip_unknown_host", "semantics/job_instance_id/ip_still_applies"}, false},
		{"job_instance_id ignored", dropParam("job_instance_id"), []string{"semantics/job_instance_id/exact"}, false},
		{"job_instance_id keeps the other filters", editItemsList(func(r *http.Request, list []any) []any {
			q := r.URL.Query()
			if num(q.Get("job_instance_id")) <= 0 {
				return list
			}
			var out []any
			for _, v := range list {
				it := v.(map[string]any)
				ct := num(it["create_time"])
				if ct < num(q.Get("create_time_start")) || ct > num(q.Get("create_time_end")) {
					continue
				}
				if op := q.Get("operator"); op != "" && !strings.EqualFold(op, str(it["operator"])) {
					continue
				}
				if s := q.Get("status"); s != "" && num(s) != num(it["status"]) {
					continue
				}
				out = append(out, it)
			}
			return out
		}), []string{"semantics/job_instance_id/ignores_other_filters"}, false},
		{"job_instance_id looked up in a cache of every scope", func(h http.Handler) http.Handler {
			var seen sync.Map // job_instance_id → an item served in any scope
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := serve(h, r)
				body := decode(rec.Body.Bytes())
				if rec.Code != 200 || body == nil {
					copyResponse(w, rec)
					return
				}
				list := items(body)
				for _, v := range list {
					seen.Store(num(v.(map[string]any)["job_instance_id"]), v)
				}
				q := r.URL.Query()
				if id := num(q.Get("job_instance_id")); id > 0 && len(list) == 0 && num(q.Get("offset")) == 0 {
					if v, ok := seen.Load(id); ok {
						body["data"].(map[string]any)["job_instance_list"] = []any{v}
					}
				}
				writeBody(w, rec.Header(), 200, body)
			})
		}, []string{"semantics/job_instance_id/keeps_scope"}, false},
		{"500 on a missing parameter", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				for _, p := range []string{"bk_scope_type", "bk_scope_id", "create_time_start", "create_time_end"} {
					if q.Get(p) == "" && r.Header.Get("X-Bkapi-Authorization") != "" {
						writeV4(w, 500, "INTERNAL", "内部服务器异常", "1240002")
						return
					}
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"rules/missing/bk_scope_type", "rules/missing/bk_scope_id", "rules/missing/create_time_start",
			"rules/missing/create_time_end", "rules/missing/create_time_start_empty", "rules/english_texts"}, false},
		{"empty values are type errors", editQuery(func(q url.Values) {
			for _, p := range []string{"create_time_start", "offset", "length"} {
				if q.Has(p) && q.Get(p) == "" {
					q.Set(p, "x")
				}
			}
		}), []string{"rules/missing/create_time_start_empty", "rules/empty_offset_length_default"}, false},
		{"type errors reported as missing", editQuery(func(q url.Values) {
			for _, p := range []string{"create_time_start", "create_time_end", "job_instance_id", "launch_mode", "type", "status", "job_cron_id", "offset", "length"} {
				if v := q.Get(p); v != "" {
					if _, err := strconv.ParseFloat(v, 64); err != nil {
						q.Del(p)
					}
				}
			}
		}), []string{"rules/type/create_time_start", "rules/type/create_time_end", "rules/type/job_instance_id",
			"rules/type/launch_mode", "rules/type/type", "rules/type/status", "rules/type/job_cron_id",
			"rules/type/offset", "rules/type/length"}, false},
		{"overflowing numbers clamped", editQuery(func(q url.Values) {
			for p, bits := range map[string]int{"offset": 32, "length": 32, "create_time_start": 64, "create_time_end": 64} {
				n, ok := new(big.Int).SetString(q.Get(p), 10)
				if !ok {
					continue
				}
				hi := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bits-1)), big.NewInt(1))
				if n.Cmp(hi) > 0 {
					q.Set(p, hi.String())
				}
			}
		}), []string{"rules/type/length_overflow", "rules/type/create_time_end_overflow"}, false},
		{"unknown scope type answered 404", editQuery(func(q url.Values) {
			if t := q.Get("bk_scope_type"); t != "" && t != "biz" && t != "biz_set" {
				q.Set("bk_scope_type", "tenant_set")
			}
		}), []string{"rules/invalid/bk_scope_type"}, false},
		{"the real server's enum bugs", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				valid := map[string][]int64{"status": {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15}, "launch_mode": {1, 2, 3}}
				for _, p := range []string{"status", "launch_mode"} {
					if n, err := strconv.ParseInt(q.Get(p), 10, 32); err == nil && !slices.Contains(valid[p], n) {
						writeV4(w, 500, "INTERNAL", "内部服务器异常", "1240002")
						return
					}
				}
				if n, err := strconv.ParseInt(q.Get("type"), 10, 32); err == nil && (n < 0 || n > 2) {
					q.Del("type")
					r = withQuery(r, q)
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"rules/invalid/status", "rules/invalid/launch_mode", "rules/invalid/type"}, false},
		{"wrong error code string", editBody(func(_ *http.Request, status int, body map[string]any) int {
			if e, ok := body["error"].(map[string]any); ok && e["code"] == "INVALID_ARGUMENT" {
				e["code"] = "INVALID_PARAMETER"
			}
			return status
		}), []string{"rules/missing/create_time_start", "rules/invalid/status", "rules/range/offset_negative", "conformance/schema"}, false},
		{"no English texts", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Del("Blueking-Language")
				h.ServeHTTP(w, r)
			})
		}, []string{"rules/english_texts"}, false},
		{"no job_request_id", editBody(func(_ *http.Request, status int, body map[string]any) int {
			delete(body, "job_request_id")
			return status
		}), []string{"conformance/job_request_id"}, false},
		{"null instead of an omitted end_time", editItems(func(_ *http.Request, it map[string]any) {
			if _, ok := it["end_time"]; !ok {
				it["end_time"] = nil
			}
		}), []string{"conformance/no_null_fields", "conformance/schema"}, false},
		{"403 without data", editBody(func(_ *http.Request, status int, body map[string]any) int {
			if e, ok := body["error"].(map[string]any); ok && status == 403 {
				delete(e, "data")
			}
			return status
		}), []string{"permissions/forbidden_scope"}, false},
		{"validation before permission", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Bkapi-Authorization") != "" && !r.URL.Query().Has("create_time_start") {
					writeV4(w, 400, "INVALID_ARGUMENT", "请求参数[create_time_start]缺失", "1241004")
					return
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"permissions/forbidden_before_validation", "permissions/missing_before_validation"}, false},
		{"unknown scope is an empty list", editBody(func(_ *http.Request, status int, body map[string]any) int {
			if status != 404 {
				return status
			}
			delete(body, "error")
			body["data"] = map[string]any{"job_instance_list": []any{}}
			return 200
		}), []string{"permissions/missing_scope", "system/missing_scope"}, false},
		{"no gateway authentication", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var m map[string]any
				if json.Unmarshal([]byte(r.Header.Get("X-Bkapi-Authorization")), &m) != nil || m["bk_app_secret"] == nil || m["bk_username"] == nil {
					r.Header.Set("X-Bkapi-Authorization", `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"zhangsan"}`)
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"gateway/no_auth_header", "gateway/malformed_auth_header", "gateway/no_app_secret", "gateway/no_user_identity", "system/no_auth_header"}, false},
		{"system API needs a user", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/system/") && !strings.Contains(r.Header.Get("X-Bkapi-Authorization"), "bk_username") &&
					r.Header.Get("X-Bkapi-Authorization") != "" {
					writeGateway(w, `Parameters error [reason="user authentication failed, please provide a valid user identity, such as bk_username, bk_token, access_token"]`)
					return
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"system/app_only_auth"}, false},
		{"system API checks permissions", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/system/") && strings.Contains(r.Header.Get("X-Bkapi-Authorization"), "bk_username") {
					r2 := r.Clone(r.Context())
					r2.URL.Path = strings.Replace(r.URL.Path, "/system/", "/", 1)
					r = r2
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"system/no_permission_check"}, false},
		{"no system API", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/system/") {
					http.NotFound(w, r)
					return
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"system/default_query"}, false},
		{"finished tasks change between reads", func(h http.Handler) http.Handler {
			var n atomic.Int64
			return editItems(func(_ *http.Request, it map[string]any) {
				if _, ok := it["end_time"]; ok {
					it["total_time"] = json.Number(strconv.FormatInt(num(it["total_time"])+n.Add(1), 10))
				}
			})(h)
		}, []string{"semantics/stable/finished_identical"}, false},
		{"bk_biz_id off by one", editItems(func(_ *http.Request, it map[string]any) {
			if v, ok := it["bk_biz_id"]; ok {
				it["bk_biz_id"] = json.Number(strconv.FormatInt(num(v)+1, 10))
			}
		}), []string{"semantics/items/scope"}, false},
		{"quick tasks with job_plan_id 0", editItems(func(_ *http.Request, it map[string]any) {
			if num(it["type"]) != 0 {
				it["job_plan_id"] = json.Number("0")
			}
		}), []string{"semantics/items/quick_task_ids"}, false},
		{"start_time and end_time swapped", editItems(func(_ *http.Request, it map[string]any) {
			if s, ok := it["start_time"]; ok {
				if e, ok := it["end_time"]; ok {
					it["start_time"], it["end_time"] = e, s
				}
			}
		}), []string{"semantics/items/time_fields"}, false},
		{"422 for a range error", editBody(func(_ *http.Request, status int, body map[string]any) int {
			if e, ok := body["error"].(map[string]any); ok && strings.Contains(str(e["message"]), "绑定失败") {
				return 422
			}
			return status
		}), []string{"conformance/status_documented", "rules/range/offset_negative"}, false},
		{name: "times in seconds", wrap: editItems(func(_ *http.Request, it map[string]any) {
			for _, k := range []string{"create_time", "start_time", "end_time", "total_time"} {
				if v, ok := it[k]; ok {
					it[k] = json.Number(strconv.FormatInt(num(v)/1000, 10))
				}
			}
		}), mustFail: []string{"semantics/times/plausible", "semantics/window/items_inside"}, ownClock: true},
		{name: "start_time and end_time in seconds", wrap: editItems(func(_ *http.Request, it map[string]any) {
			for _, k := range []string{"start_time", "end_time"} {
				if v, ok := it[k]; ok {
					it[k] = json.Number(strconv.FormatInt(num(v)/1000, 10))
				}
			}
		}), mustFail: []string{"semantics/times/plausible", "semantics/items/time_fields"}, ownClock: true},
		{name: "total_time counted from create_time", wrap: editItems(func(_ *http.Request, it map[string]any) {
			if e, ok := it["end_time"]; ok {
				it["total_time"] = json.Number(strconv.FormatInt(num(e)-num(it["create_time"]), 10))
			}
		}), mustFail: []string{"semantics/times/plausible", "semantics/items/time_fields"}},
		{"create_time_start exclusive past the first page", editQuery(func(q url.Values) {
			if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 && q.Get("job_instance_id") == "" {
				shift(q, "create_time_start", 1)
			}
		}), []string{"semantics/paging/walk"}, false},
		{"ties reordered past the first page", tiesReversedPastFirstPage, []string{"semantics/paging/ties"}, false},
		{"case-sensitive operator", refilter("operator", func(v string, it map[string]any) bool {
			return str(it["operator"]) == v
		}), []string{"semantics/filter/operator_case_insensitive"}, false},
		{"name wildcards escaped", refilter("name", func(v string, it map[string]any) bool {
			return strings.Contains(strings.ToLower(str(it["name"])), strings.ToLower(v))
		}), []string{"semantics/filter/name_wildcards"}, false},
		{"blank operator or name matched literally", editItemsList(func(r *http.Request, list []any) []any {
			q := r.URL.Query()
			for _, p := range []string{"operator", "name"} {
				if v := q.Get(p); v != "" && strings.TrimSpace(v) == "" {
					return nil
				}
			}
			return list
		}), []string{"semantics/filter/blank_ignored"}, false},
		{"negative ids not ignored", editItemsList(func(r *http.Request, list []any) []any {
			q := r.URL.Query()
			for _, p := range []string{"job_instance_id", "job_cron_id"} {
				if n, err := strconv.ParseInt(q.Get(p), 10, 64); err == nil && n < 0 {
					return nil
				}
			}
			return list
		}), []string{"semantics/filter/nonpositive_ids_ignored"}, false},
		{"IPv6 rejected", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if ip := net.ParseIP(r.URL.Query().Get("ip")); ip != nil && ip.To4() == nil {
					writeV4(w, 400, "INVALID_ARGUMENT", "请求参数[ip]不合法", "1241005")
					return
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"semantics/filter/ip_unknown_host"}, false},
		{"numbers parsed leniently", editQuery(func(q url.Values) {
			for p, v := range q {
				if _, err := strconv.ParseInt(v[0], 10, 64); err == nil {
					continue
				}
				if n, err := strconv.ParseInt(v[0], 0, 64); err == nil {
					q.Set(p, strconv.FormatInt(n, 10))
				} else if f, err := strconv.ParseFloat(v[0], 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e15 {
					q.Set(p, strconv.FormatInt(int64(f), 10))
				}
			}
		}), []string{"rules/type/length_exponent", "rules/type/offset_hex"}, false},
		{"a plus sign is a type error", editQuery(func(q url.Values) {
			for p, v := range q {
				if strings.HasPrefix(v[0], "+") {
					q.Set(p, "abc")
				}
			}
		}), []string{"rules/number_sign_accepted"}, false},
		{"the last repeated value wins", editQuery(func(q url.Values) {
			for p, v := range q {
				if len(v) > 1 {
					q[p] = []string{v[len(v)-1]}
				}
			}
		}), []string{"rules/repeated_param_first_wins"}, false},
		{"errors as text/plain", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := serve(h, r)
				if rec.Code != 200 {
					rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
				}
				copyResponse(w, rec)
			})
		}, []string{"conformance/content_type"}, false},
	}
}

// tiesReversedPastFirstPage orders tasks that share a create_time by
// descending id on every page but the first, as a server sorting only by
// create_time may: a tie across a page boundary repeats one task and loses
// another. It pages the first 200 tasks itself.
func tiesReversedPastFirstPage(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		offset, _ := strconv.Atoi(q.Get("offset"))
		length := 10
		if n, err := strconv.Atoi(q.Get("length")); err == nil {
			length = n
		}
		if offset <= 0 || offset+length > 200 || q.Get("job_instance_id") != "" {
			h.ServeHTTP(w, r)
			return
		}
		q.Set("offset", "0")
		q.Set("length", "200")
		rec := serve(h, withQuery(r, q))
		body := decode(rec.Body.Bytes())
		if rec.Code != 200 || body == nil {
			copyResponse(w, rec)
			return
		}
		list := items(body)
		sort.SliceStable(list, func(i, j int) bool {
			a, b := list[i].(map[string]any), list[j].(map[string]any)
			if ca, cb := num(a["create_time"]), num(b["create_time"]); ca != cb {
				return ca > cb
			}
			return num(a["job_instance_id"]) > num(b["job_instance_id"])
		})
		page := list[min(offset, len(list)):min(offset+length, len(list))]
		body["data"].(map[string]any)["job_instance_list"] = append([]any{}, page...)
		writeBody(w, rec.Header(), 200, body)
	})
}

// honest are servers that differ from the mock or the fake in ways the
// contract allows: every check must pass against them.
func honest() []mutation {
	dateOff := func(d time.Duration) func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := serve(h, r)
				date := time.Now()
				if d, err := http.ParseTime(rec.Header().Get("Date")); err == nil {
					date = d
				}
				rec.Header().Set("Date", date.Add(d).UTC().Format(http.TimeFormat))
				copyResponse(w, rec)
			})
		}
	}
	return []mutation{
		{name: "Date header an hour ahead of the data", wrap: dateOff(time.Hour), ownClock: true},
		{name: "Date header an hour behind the data", wrap: dateOff(-time.Hour), ownClock: true},
	}
}

// runMutations runs the suite against every broken server built on good and
// checks the table both ways.
func runMutations(t *testing.T, good http.Handler, cfg func(baseURL string) contract.Config) {
	t.Helper()
	all := contract.Checks()
	caught := map[string]string{} // check → a mutation it caught
	results := make([][]contract.CheckResult, len(mutations()))
	for i, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			res := runVariant(t, m, good, cfg)
			assert.Equal(t, contract.VerdictFail, res.Verdict(), "a broken server must fail the run (exit 1)")
			failed := map[string]bool{}
			for _, c := range res.Checks {
				if c.Status == contract.Fail {
					failed[c.Name] = true
				}
			}
			t.Logf("caught by %v", keys(failed))
			require.NotEmpty(t, failed, "no check catches %q", m.name)
			for _, name := range m.mustFail {
				assert.True(t, failed[name], "%s should catch %q; failed: %v", name, m.name, keys(failed))
			}
			results[i] = res.Checks
		})
	}
	for i, m := range mutations() {
		for _, c := range results[i] {
			if c.Status == contract.Fail {
				if _, ok := caught[c.Name]; !ok {
					caught[c.Name] = m.name
				}
			}
		}
	}
	for _, c := range all {
		assert.Contains(t, caught, c.Name, "no broken server makes %s fail", c.Name)
	}
}

// runVariant runs the suite against m wrapped around good, on the target's
// own clock when m asks for it.
func runVariant(t *testing.T, m mutation, good http.Handler, cfg func(baseURL string) contract.Config) *contract.Result {
	t.Helper()
	srv := httptest.NewServer(m.wrap(good))
	t.Cleanup(srv.Close)
	c := cfg(srv.URL)
	if m.ownClock {
		c.From, c.To = time.Time{}, time.Time{}
	}
	return runSuite(t, c)
}

// runHonest runs the suite against every honest variant of good: every
// check passes.
func runHonest(t *testing.T, good http.Handler, cfg func(baseURL string) contract.Config) {
	t.Helper()
	for _, m := range honest() {
		t.Run(m.name, func(t *testing.T) {
			res := runVariant(t, m, good, cfg)
			for _, r := range res.Checks {
				assert.Equal(t, contract.Pass, r.Status, "%s: %s", r.Name, r.Reason)
			}
			assert.Equal(t, contract.VerdictPass, res.Verdict())
			t.Logf("window from %s", res.Clock)
		})
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// editQuery changes the query before the server sees it.
func editQuery(edit func(url.Values)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			edit(q)
			h.ServeHTTP(w, withQuery(r, q))
		})
	}
}

func dropParam(p string) func(http.Handler) http.Handler {
	return editQuery(func(q url.Values) { q.Del(p) })
}

func withQuery(r *http.Request, q url.Values) *http.Request {
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	return r2
}

func shift(q url.Values, p string, d int64) {
	if n, err := strconv.ParseInt(q.Get(p), 10, 64); err == nil {
		q.Set(p, strconv.FormatInt(n+d, 10))
	}
}

func clamp(q url.Values, p string, lo, hi int) {
	if n, err := strconv.Atoi(q.Get(p)); err == nil {
		q.Set(p, strconv.Itoa(max(lo, min(hi, n))))
	}
}

// editBody changes a JSON response body (and maybe its status).
func editBody(edit func(r *http.Request, status int, body map[string]any) int) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := serve(h, r)
			body := decode(rec.Body.Bytes())
			if body == nil {
				copyResponse(w, rec)
				return
			}
			status := edit(r, rec.Code, body)
			writeBody(w, rec.Header(), status, body)
		})
	}
}

func editItemsList(edit func(r *http.Request, list []any) []any) func(http.Handler) http.Handler {
	return editBody(func(r *http.Request, status int, body map[string]any) int {
		if data, ok := body["data"].(map[string]any); ok && status == 200 {
			list := edit(r, items(body))
			if list == nil {
				list = []any{}
			}
			data["job_instance_list"] = list
		}
		return status
	})
}

func editItems(edit func(r *http.Request, it map[string]any)) func(http.Handler) http.Handler {
	return editItemsList(func(r *http.Request, list []any) []any {
		for _, v := range list {
			edit(r, v.(map[string]any))
		}
		return list
	})
}

// refilter replaces the server's filter on param by keep: it asks for the
// unfiltered first 200 tasks and filters and pages them itself (enough for
// the suite's sample window).
func refilter(param string, keep func(v string, it map[string]any) bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			v := q.Get(param)
			if strings.TrimSpace(v) == "" || q.Get("job_instance_id") != "" {
				h.ServeHTTP(w, r)
				return
			}
			offset, length := 0, 10
			if n, err := strconv.Atoi(q.Get("offset")); err == nil {
				offset = n
			}
			if n, err := strconv.Atoi(q.Get("length")); err == nil {
				length = n
			}
			q.Del(param)
			q.Set("offset", "0")
			q.Set("length", "200")
			rec := serve(h, withQuery(r, q))
			body := decode(rec.Body.Bytes())
			if rec.Code != 200 || body == nil {
				copyResponse(w, rec)
				return
			}
			var out []any
			for _, it := range items(body) {
				if keep(v, it.(map[string]any)) {
					out = append(out, it)
				}
			}
			out = out[min(offset, len(out)):min(offset+length, len(out))]
			body["data"].(map[string]any)["job_instance_list"] = append([]any{}, out...)
			writeBody(w, rec.Header(), 200, body)
		})
	}
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func decode(b []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

func writeBody(w http.ResponseWriter, hdr http.Header, status int, body map[string]any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func writeV4(w http.ResponseWriter, status int, code, msg, details string) {
	writeBody(w, http.Header{"Content-Type": {"application/json"}}, status, map[string]any{
		"error":          map[string]any{"code": code, "message": msg, "details": []any{map[string]any{"code": details, "message": msg}}},
		"job_request_id": "0123456789abcdef0123456789abcdef",
	})
}

func writeGateway(w http.ResponseWriter, msg string) {
	w.Header().Set("X-Bkapi-Error-Code", "1640001")
	w.Header().Set("X-Bkapi-Error-Message", msg)
	writeBody(w, http.Header{"Content-Type": {"application/json"}}, 400, map[string]any{
		"code": 1640001, "code_name": "INVALID_ARGS", "message": msg, "result": false, "data": nil,
	})
}

func items(body map[string]any) []any {
	data, _ := body["data"].(map[string]any)
	list, _ := data["job_instance_list"].([]any)
	return list
}

func num(v any) int64 {
	switch v := v.(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
