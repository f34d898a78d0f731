package spec

import "strings"

// Params are the query parameters of get_job_instance_list in the order the
// real server declares and binds them: missing and wrong-type problems are
// found one parameter at a time in this order.
var Params = [...]string{
	"bk_scope_type", "bk_scope_id", "create_time_start", "create_time_end",
	"job_instance_id", "operator", "name", "launch_mode", "type", "status",
	"ip", "job_cron_id", "offset", "length",
}

// ParamIndex returns the position of name in Params, and whether it is one.
func ParamIndex(name string) (int, bool) {
	i, ok := paramIndex[name]
	return i, ok
}

var paramIndex = func() map[string]int {
	m := make(map[string]int, len(Params))
	for i, p := range Params {
		m[p] = i
	}
	return m
}()

// SecretKeys are the credentials a request to the gateway may carry: fields
// of X-Bkapi-Authorization, and (old ESB style) query or cookie pairs. Their
// values are never shown: not in a journal, an export, a log or a report.
var SecretKeys = [...]string{"bk_app_secret", "bk_signature", "bk_token", "access_token"}

// Masked replaces every secret that is shown masked.
const Masked = "***"

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
