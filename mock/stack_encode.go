package mock

import (
	"strconv"
	"unicode/utf8"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// appendList writes the 200 body of get_job_instance_list. Absent times are
// omitted, never written as null, like the real server.
func appendList(b []byte, items []bkjob.JobInstance, requestID string) []byte {
	b = append(b, `{"data":{"job_instance_list":[`...)
	var scope bkjob.Scope
	var scopeJSON []byte // `,"bk_scope_type":…,"bk_scope_id":…` of scope: a page has one scope
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		if j := &items[i]; scopeJSON == nil || j.Scope != scope {
			scope = j.Scope
			scopeJSON = appendScope(scopeJSON[:0], scope)
		}
		b = appendItem(b, &items[i], scopeJSON)
	}
	b = append(b, `]},"job_request_id":`...)
	b = appendString(b, requestID)
	return append(b, "}\n"...)
}

// appendScope appends the scope's fields of an item.
func appendScope(b []byte, scope bkjob.Scope) []byte {
	b = append(b, `,"bk_scope_type":`...)
	b = appendString(b, scope.Type)
	b = append(b, `,"bk_scope_id":`...)
	return appendString(b, scope.ID)
}

// appendItem appends j, its scope's fields given as appendScope wrote them.
func appendItem(b []byte, j *bkjob.JobInstance, scopeJSON []byte) []byte {
	b = append(b, `{"job_instance_id":`...)
	b = strconv.AppendInt(b, j.ID, 10)
	if j.Scope.Type == bkjob.ScopeBiz {
		b = append(b, `,"bk_biz_id":`...)
		b = strconv.AppendInt(b, j.BizID, 10)
	}
	b = append(b, scopeJSON...)
	b = append(b, `,"job_template_id":`...)
	b = strconv.AppendInt(b, j.TemplateID, 10)
	b = append(b, `,"job_plan_id":`...)
	b = strconv.AppendInt(b, j.PlanID, 10)
	b = append(b, `,"name":`...)
	b = appendString(b, j.Name)
	b = append(b, `,"operator":`...)
	b = appendString(b, j.Operator)
	b = append(b, `,"launch_mode":`...)
	b = strconv.AppendInt(b, int64(j.LaunchMode), 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(j.Status), 10)
	b = append(b, `,"type":`...)
	b = strconv.AppendInt(b, int64(j.Type), 10)
	b = append(b, `,"create_time":`...)
	b = strconv.AppendInt(b, j.CreateTime, 10)
	if j.StartTime != 0 {
		b = append(b, `,"start_time":`...)
		b = strconv.AppendInt(b, j.StartTime, 10)
	}
	if j.EndTime != 0 {
		b = append(b, `,"end_time":`...)
		b = strconv.AppendInt(b, j.EndTime, 10)
	}
	if j.HasTotalTime {
		b = append(b, `,"total_time":`...)
		b = strconv.AppendInt(b, j.TotalTime, 10)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does; HTML characters are left alone.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
