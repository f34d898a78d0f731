package history

import (
	"testing"
	"unsafe"
)

// The memory budget (10 million tasks in 2 GiB) rests on this size.
func TestTaskSize(t *testing.T) {
	if got := unsafe.Sizeof(task{}); got != 40 {
		t.Errorf("task is %d bytes, want 40", got)
	}
}

func TestLike(t *testing.T) {
	tests := []struct {
		s, pat string
		want   bool
	}{
		{"快速执行脚本_清理日志", "执行", true},
		{"快速执行脚本_清理日志", "快速_行", true},
		{"快速执行脚本_清理日志", "快_行", false},
		{"快速执行脚本_清理日志", "%", true},
		{"快速执行脚本_清理日志", "快速%日志", true},
		{"快速执行脚本_清理日志", "日志%快速", false},
		{"API Quick execution script restart NGINX", "nginx", true},
		{"API Quick execution script", "quick_EXEC", true},
		{"abc", "abcd", false},
		{"abc", "___", true},
		{"abc", "____", false},
		{"a\\b", "\\", true},
		{"", "_", false},
		{"aaa", "a%a%a", true},
		{"aa", "a%a%a", false},
	}
	for _, tt := range tests {
		if got := likeContains(tt.s, tt.pat); got != tt.want {
			t.Errorf("likeContains(%q, %q) = %v, want %v", tt.s, tt.pat, got, tt.want)
		}
	}
}
