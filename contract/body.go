package contract

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// item is one task of a job_instance_list, with the fields the checks use
// decoded and the raw object kept for comparisons.
type item struct {
	raw        map[string]any
	ID         int64
	CreateTime int64
	Status     int64
	Type       int64
	LaunchMode int64
	Name       string
	Operator   string
	ScopeType  string
	ScopeID    string
}

func (it item) has(key string) bool {
	_, ok := it.raw[key]
	return ok
}

func (it item) int(key string) (int64, bool) {
	return asInt(it.raw[key])
}

func asInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// finished reports whether a status is final.
func finished(status int64) bool { return bkjob.Status(status).Finished() }

// parseList decodes a 200 job_instance_list response.
func parseList(ex *exchange) ([]item, error) {
	if ex.status != 200 {
		return nil, fmt.Errorf("got %s, want 200 with a job_instance_list", describe(ex))
	}
	obj, ok := ex.json.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the 200 body is not a JSON object: %s", snippet(ex.body))
	}
	data, ok := obj["data"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the 200 body has no data object: %s", snippet(ex.body))
	}
	list, ok := data["job_instance_list"].([]any)
	if !ok {
		return nil, fmt.Errorf("the 200 body has no data.job_instance_list array: %s", snippet(ex.body))
	}
	items := make([]item, 0, len(list))
	for i, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("task %d is not a JSON object", i)
		}
		it := item{raw: m}
		for _, f := range []struct {
			key string
			dst *int64
		}{
			{"job_instance_id", &it.ID}, {"create_time", &it.CreateTime}, {"status", &it.Status},
			{"type", &it.Type}, {"launch_mode", &it.LaunchMode},
		} {
			n, ok := asInt(m[f.key])
			if !ok {
				return nil, fmt.Errorf("task %d: %s is missing or not an integer", i, f.key)
			}
			*f.dst = n
		}
		for _, f := range []struct {
			key string
			dst *string
		}{
			{"name", &it.Name}, {"operator", &it.Operator}, {"bk_scope_type", &it.ScopeType}, {"bk_scope_id", &it.ScopeID},
		} {
			s, ok := m[f.key].(string)
			if !ok {
				return nil, fmt.Errorf("task %d (job_instance_id %d): %s is missing or not a string", i, it.ID, f.key)
			}
			*f.dst = s
		}
		items = append(items, it)
	}
	return items, nil
}

// v4Error is bk-job's error envelope.
type v4Error struct {
	Code    string
	Message string
	Data    map[string]any
	HasData bool
	Details []struct{ Code, Message string }
}

// parseV4Error decodes a v4 error body; ok is false when the body is not one.
func parseV4Error(ex *exchange) (e v4Error, ok bool) {
	obj, _ := ex.json.(map[string]any)
	eo, _ := obj["error"].(map[string]any)
	if eo == nil {
		return e, false
	}
	e.Code, _ = eo["code"].(string)
	e.Message, _ = eo["message"].(string)
	e.Data, e.HasData = eo["data"].(map[string]any)
	ds, _ := eo["details"].([]any)
	for _, d := range ds {
		dm, _ := d.(map[string]any)
		e.Details = append(e.Details, struct{ Code, Message string }{scalarString(dm["code"]), scalarString(dm["message"])})
	}
	return e, true
}

// gatewayError is the API gateway's legacy envelope.
type gatewayError struct {
	Code     string
	CodeName string
	Message  string
	Result   any
	Data     any
}

func parseGatewayError(ex *exchange) (g gatewayError, ok bool) {
	if !isGatewayEnvelope(ex.json) {
		return g, false
	}
	m := ex.json.(map[string]any)
	return gatewayError{scalarString(m["code"]), scalarString(m["code_name"]), scalarString(m["message"]), m["result"], m["data"]}, true
}

// scalarString renders a JSON scalar as text ("" for anything else).
func scalarString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

// describe summarises a response for a failure message.
func describe(ex *exchange) string {
	if ex == nil {
		return "no response"
	}
	if ex.err != nil {
		return "no answer (" + ex.err.Error() + ")"
	}
	if e, ok := parseV4Error(ex); ok {
		s := fmt.Sprintf("%d %s %q", ex.status, e.Code, e.Message)
		if len(e.Details) > 0 {
			s += fmt.Sprintf(" (details %s %q)", e.Details[0].Code, e.Details[0].Message)
		}
		return s
	}
	if g, ok := parseGatewayError(ex); ok {
		return fmt.Sprintf("%d gateway %s %s %q", ex.status, g.Code, g.CodeName, g.Message)
	}
	if ex.status == 200 {
		if obj, ok := ex.json.(map[string]any); ok {
			if data, ok := obj["data"].(map[string]any); ok {
				if list, ok := data["job_instance_list"].([]any); ok {
					return fmt.Sprintf("200 with %d tasks", len(list))
				}
			}
		}
	}
	ct := ex.respHdr.Get("Content-Type")
	return fmt.Sprintf("%d (%s) %s", ex.status, ct, snippet(ex.body))
}

// snippet returns the start of a body, for messages.
func snippet(b []byte) string {
	const max = 200
	s := strings.TrimSpace(string(b))
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ids returns the job_instance_ids of items, in order.
func ids(items []item) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func idSet(items []item) map[int64]item {
	m := make(map[int64]item, len(items))
	for _, it := range items {
		m[it.ID] = it
	}
	return m
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fmtIDs prints at most a few ids.
func fmtIDs(ids []int64) string {
	const max = 6
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i == max {
			fmt.Fprintf(&b, " … %d more", len(ids)-max)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, id)
	}
	b.WriteByte(']')
	return b.String()
}
