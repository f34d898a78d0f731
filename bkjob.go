// Package bkjob holds the domain of BlueKing Job's task execution history
// (GET /api/v4/get_job_instance_list): job instances, their enums, scopes,
// the query the API answers, and the embedded OpenAPI contract.
package bkjob

import (
	_ "embed"
	"errors"
	"strings"
)

// OpenAPISpec is openapi.yaml, the contract of get_job_instance_list. It drives
// request validation in the mock and response validation in the contract suite.
//
//go:embed openapi.yaml
var OpenAPISpec []byte

// Paths of the two gateway resources.
const (
	UserAPIPath   = "/api/v4/get_job_instance_list"
	SystemAPIPath = "/api/v4/system/get_job_instance_list"
)

// Scope types accepted by bk_scope_type. TenantSet passes the type check of the
// real server but never names an existing scope.
const (
	ScopeBiz       = "biz"
	ScopeBizSet    = "biz_set"
	ScopeTenantSet = "tenant_set"
)

// Scope is a resource scope: a business or a business set.
type Scope struct {
	Type string
	ID   string
}

// String returns the scope as TYPE:ID, the form the CLI and fixtures use, or
// "" for the zero Scope.
func (s Scope) String() string {
	if s == (Scope{}) {
		return ""
	}
	return s.Type + ":" + s.ID
}

// ErrBadScope is returned by ParseScope for text that is not TYPE:ID.
var ErrBadScope = errors.New("scope must look like TYPE:ID, e.g. biz:2")

// ParseScope parses TYPE:ID (biz:2, biz_set:9991001).
func ParseScope(s string) (Scope, error) {
	typ, id, ok := strings.Cut(s, ":")
	if !ok || typ == "" || id == "" {
		return Scope{}, ErrBadScope
	}
	return Scope{Type: typ, ID: id}, nil
}

// Status is a task status (task_status in the document, status on the wire).
type Status int

// Task statuses. 12 does not exist.
const (
	StatusBlank             Status = 1
	StatusRunning           Status = 2
	StatusSuccess           Status = 3
	StatusFail              Status = 4
	StatusSkipped           Status = 5
	StatusIgnoreError       Status = 6
	StatusWaitingUser       Status = 7
	StatusTerminated        Status = 8
	StatusAbnormal          Status = 9
	StatusStopping          Status = 10
	StatusStopSuccess       Status = 11
	StatusConfirmTerminated Status = 13
	StatusAbandoned         Status = 14
	StatusRollingWaiting    Status = 15
)

// Statuses lists every valid status in ascending order.
var Statuses = []Status{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15}

// Valid reports whether s is a status the server knows.
func (s Status) Valid() bool { return s >= 1 && s <= 15 && s != 12 }

// Finished reports whether s is a final status (the task has an end_time).
func (s Status) Finished() bool {
	switch s {
	case 3, 4, 5, 6, 8, 9, 11, 13, 14:
		return true
	}
	return false
}

// LiveTotalTime reports whether total_time is computed as now - start_time.
func (s Status) LiveTotalTime() bool {
	return s == StatusRunning || s == StatusWaitingUser || s == StatusStopping
}

// TaskType is the kind of task: a plan run, a quick script or a quick file transfer.
type TaskType int

// Task types.
const (
	TypePlan   TaskType = 0
	TypeScript TaskType = 1
	TypeFile   TaskType = 2
)

// Valid reports whether t is a known task type.
func (t TaskType) Valid() bool { return t >= 0 && t <= 2 }

// LaunchMode says how a task was started.
type LaunchMode int

// Launch modes.
const (
	LaunchWeb  LaunchMode = 1
	LaunchAPI  LaunchMode = 2
	LaunchCron LaunchMode = 3
)

// Valid reports whether m is a known launch mode.
func (m LaunchMode) Valid() bool { return m >= 1 && m <= 3 }

// JobInstance is one task execution as the API reports it at a given instant.
// Times are Unix milliseconds; zero StartTime or EndTime means the field is
// omitted, and HasTotalTime says whether TotalTime is written.
type JobInstance struct {
	ID           int64
	Scope        Scope
	BizID        int64 // bk_biz_id; written only for biz scopes
	TemplateID   int64 // -1 for quick tasks (type 1, 2)
	PlanID       int64 // -1 for quick tasks (type 1, 2)
	CronID       int64 // 0 unless launched by a cron job
	Name         string
	Operator     string
	LaunchMode   LaunchMode
	Status       Status
	Type         TaskType
	CreateTime   int64
	StartTime    int64
	EndTime      int64
	TotalTime    int64
	HasTotalTime bool
	Hosts        []string // every host involved: targets and file sources
}

// Query is a decoded get_job_instance_list request. Optional integer filters
// are nil when absent; blank strings mean no filter.
type Query struct {
	Scope           Scope
	CreateTimeStart int64
	CreateTimeEnd   int64
	JobInstanceID   int64 // > 0: only Scope, this id and IP apply
	JobCronID       int64 // applies when > 0
	Operator        string
	Name            string
	IP              string
	LaunchMode      *LaunchMode
	Type            *TaskType
	Status          *Status
	Offset          int
	Length          int
}
