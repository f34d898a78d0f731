package mock

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/bkjob-mock/bkjob-mock/internal/spec"
)

// secretHeaders are masked whole.
var secretHeaders = [...]string{"Authorization", "Proxy-Authorization", "X-Mock-Admin-Token"}

const masked = spec.Masked

// maskSecrets replaces the value of every secret key in s, written as JSON
// ("bk_app_secret": "...") or as a query or cookie pair (bk_token=...), by ***.
// JSON that hides a key behind escapes is decoded and masked key by key.
func maskSecrets(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	for _, key := range spec.SecretKeys {
		s = maskKey(s, key)
	}
	if strings.Contains(s, `\u`) {
		var obj map[string]any
		if json.Unmarshal([]byte(s), &obj) == nil {
			for k := range obj {
				for _, key := range spec.SecretKeys {
					if k == key {
						obj[k] = masked
					}
				}
			}
			b, _ := json.Marshal(obj)
			return string(b)
		}
	}
	return s
}

// mayHoldSecret is the fast path: most URLs hold no secret.
func mayHoldSecret(s string) bool {
	return strings.Contains(s, "secret") || strings.Contains(s, "token") || strings.Contains(s, "signature") || strings.Contains(s, `\u`)
}

// maskKey masks every value of key in s.
func maskKey(s, key string) string {
	var b strings.Builder
	i := 0
	for {
		k := strings.Index(s[i:], key)
		if k < 0 {
			break
		}
		k += i
		end := k + len(key)
		// A whole key: not the tail or head of a longer word.
		if k > 0 && isWordByte(s[k-1]) || end < len(s) && isWordByte(s[end]) {
			b.WriteString(s[i:end])
			i = end
			continue
		}
		j := end
		if j < len(s) && s[j] == '"' {
			j++
		}
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j >= len(s) || (s[j] != ':' && s[j] != '=') {
			b.WriteString(s[i:end])
			i = end
			continue
		}
		j++
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		b.WriteString(s[i:j])
		if j < len(s) && s[j] == '"' { // a JSON string: up to its closing quote
			v := j + 1
			for v < len(s) && s[v] != '"' {
				if s[v] == '\\' {
					v++
				}
				v++
			}
			b.WriteString(`"` + masked + `"`)
			i = min(v+1, len(s))
			continue
		}
		v := j
		for v < len(s) && !strings.ContainsRune(",}&; \t\r\n", rune(s[v])) {
			v++
		}
		b.WriteString(masked)
		i = v
	}
	if i == 0 {
		return s
	}
	b.WriteString(s[i:])
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// maskHeader returns h with secrets masked: a new map that shares the values
// of the headers that hold no secret.
func maskHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		out[k] = vs
		for i, v := range vs {
			if m := maskSecrets(v); m != v {
				c := slices.Clone(vs)
				c[i] = m
				for j := i + 1; j < len(c); j++ {
					c[j] = maskSecrets(c[j])
				}
				out[k] = c
				break
			}
		}
	}
	for _, k := range secretHeaders {
		if vs, ok := out[k]; ok {
			c := make([]string, len(vs))
			for i := range c {
				c[i] = masked
			}
			out[k] = c
		}
	}
	return out
}

// claimedIdentity is who X-Bkapi-Authorization claims to be, for the journal
// of requests the gateway refused.
func claimedIdentity(header string) (app, user string) {
	var obj struct {
		App  any `json:"bk_app_code"`
		User any `json:"bk_username"`
	}
	if json.Unmarshal([]byte(header), &obj) != nil {
		return "", ""
	}
	app, _ = obj.App.(string)
	user, _ = obj.User.(string)
	return app, user
}
