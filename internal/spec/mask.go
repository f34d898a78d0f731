package spec

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The one masking of credentials: the mock's journal and its exports (list,
// entry, curl, HAR), the request log and the contract suite's reports all
// show requests through these functions.

// secretHeaders are masked whole, as is every X-Bkapi-* header but
// X-Bkapi-Authorization, whose secrets are masked field by field.
var secretHeaders = [...]string{"Authorization", "Proxy-Authorization", "X-Mock-Admin-Token"}

const authHeader = "X-Bkapi-Authorization"

// MaskAuth returns an X-Bkapi-Authorization value with its secret fields
// (SecretKeys) replaced by Masked and the rest as written. A value that hides
// a key behind JSON escapes is decoded and masked key by key; one that then
// does not parse as a JSON object is masked whole.
func MaskAuth(s string) string {
	s = maskText(s)
	if !strings.Contains(s, `\`) {
		return s
	}
	var obj map[string]any
	if json.Unmarshal([]byte(s), &obj) != nil || obj == nil {
		return Masked
	}
	for k := range obj {
		if isSecretKey(k) {
			obj[k] = Masked
		}
	}
	b, _ := json.Marshal(obj)
	return string(b)
}

// MaskURL returns a request URI (path?query) with the value of every secret
// parameter replaced by Masked, up to the next &. Keys are compared decoded,
// so bk%5Ftoken is bk_token.
func MaskURL(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok || !mayHoldSecret(strings.ToLower(query)) && !strings.Contains(query, "%") {
		return uri
	}
	pairs := strings.Split(query, "&")
	changed := false
	for i, pair := range pairs {
		k, _, hasValue := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		if hasValue && isSecretKey(key) {
			pairs[i], changed = k+"="+Masked, true
		}
	}
	if !changed {
		return uri
	}
	return path + "?" + strings.Join(pairs, "&")
}

// MaskCookie returns a Cookie header with every value replaced by Masked:
// session cookies (bk_token, bk_ticket, sessionid, ...) are all credentials.
func MaskCookie(s string) string {
	parts := strings.Split(s, ";")
	for i, p := range parts {
		if name, _, ok := strings.Cut(p, "="); ok {
			parts[i] = name + "=" + Masked
		}
	}
	return strings.Join(parts, ";")
}

// MaskHeader returns h with its credentials masked: a new map that shares
// the values of the headers that hold none. X-Bkapi-Authorization is masked
// field by field (MaskAuth), cookies value by value (MaskCookie); the
// Authorization headers, the admin token and every other X-Bkapi-* header
// whole; any other value where it holds a secret pair.
func MaskHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		var mask func(string) string
		switch {
		case k == authHeader:
			mask = MaskAuth
		case k == "Cookie":
			mask = MaskCookie
		case slices.Contains(secretHeaders[:], k) || strings.HasPrefix(k, "X-Bkapi-"):
			mask = func(string) string { return Masked }
		default:
			mask = maskText
		}
		out[k] = vs
		for i, v := range vs {
			if m := mask(v); m != v {
				c := slices.Clone(vs)
				c[i] = m
				for j := i + 1; j < len(c); j++ {
					c[j] = mask(c[j])
				}
				out[k] = c
				break
			}
		}
	}
	return out
}

func isSecretKey(k string) bool {
	for _, key := range SecretKeys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// maskText replaces the value of every secret key in s, written as JSON
// ("bk_app_secret": "...") or as a query or cookie pair (bk_token=...), by
// Masked, up to the end of the JSON string or the next separator.
func maskText(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	for _, key := range SecretKeys {
		s = maskKey(s, key)
	}
	return s
}

// mayHoldSecret is the fast path: most values hold no secret.
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
			b.WriteString(`"` + Masked + `"`)
			i = min(v+1, len(s))
			continue
		}
		v := j
		for v < len(s) && !strings.ContainsRune("}&; \t\r\n", rune(s[v])) {
			v++
		}
		b.WriteString(Masked)
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

// MaskEchoed returns s with every secret value of the X-Bkapi-Authorization
// value auth (the fields SecretKeys name, three characters or more) replaced
// by Masked, wherever it appears: for text that may echo a request, such as
// what a check found in its answer.
func MaskEchoed(s, auth string) string {
	var m map[string]any
	if !mayHoldSecret(auth) || json.Unmarshal([]byte(auth), &m) != nil {
		return s
	}
	var secrets []string
	for _, k := range SecretKeys {
		if v, ok := m[k].(string); ok && len(v) >= 3 {
			secrets = append(secrets, v)
		}
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) }) // a secret inside another: the longer first
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, Masked)
	}
	return s
}
