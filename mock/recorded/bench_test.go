package recorded_test

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strconv"
	"sync"
	"testing"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

// bigFile is a recorded biz:2 of a million tasks, 40 names and 8 operators,
// about a task every 2.6 s over 30 days.
var bigFile = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range 1_000_000 {
		j := bkjob.JobInstance{
			ID: 20000000000 + int64(i), Scope: biz2, BizID: 2, TemplateID: -1, PlanID: -1,
			Name: "快速执行脚本_" + strconv.Itoa(i%40), Operator: "user" + strconv.Itoa(i%8),
			LaunchMode: bkjob.LaunchMode(1 + i%3), Status: bkjob.StatusSuccess, Type: bkjob.TypeScript,
			CreateTime: now - 30*day + int64(i)*2592, StartTime: now - 30*day + int64(i)*2592 + 100,
			EndTime: now - 30*day + int64(i)*2592 + 5000, TotalTime: 4900, HasTotalTime: true,
		}
		enc.Encode(recorded.NewRecord(&j))
	}
	return buf.Bytes()
})

// BenchmarkRead reads the million-task file.
func BenchmarkRead(b *testing.B) {
	data := bigFile()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var src *recorded.Source
	for b.Loop() {
		var err error
		src, err = recorded.Read(bytes.NewReader(data), biz2, "big")
		if err != nil {
			b.Fatal(err)
		}
	}
	runtime.KeepAlive(src)
}

// BenchmarkList answers the default query (the newest page of a day) and
// queries whose filters match nothing, over the million tasks.
func BenchmarkList(b *testing.B) {
	src, err := recorded.Read(bytes.NewReader(bigFile()), biz2, "big")
	if err != nil {
		b.Fatal(err)
	}
	month := bkjob.Query{Scope: biz2, CreateTimeStart: now - 30*day, CreateTimeEnd: now, Length: 10}
	for _, c := range []struct {
		name string
		q    bkjob.Query
	}{
		{"default", bkjob.Query{Scope: biz2, CreateTimeStart: now - day, CreateTimeEnd: now, Length: 10}},
		{"no-match-operator", func() bkjob.Query { q := month; q.Operator = "nobody"; return q }()},
		{"no-match-name", func() bkjob.Query { q := month; q.Name = "nothing"; return q }()},
		{"no-match-ip", func() bkjob.Query { q := month; q.IP = "10.0.0.1"; return q }()},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				src.List(c.q, now)
			}
		})
	}
}
