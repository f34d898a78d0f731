package mock

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ScenarioHeader selects scenarios for one request: a comma-separated list of
// names from the catalog, e.g. "latency:2s, no-permission".
const ScenarioHeader = "X-Mock-Scenario"

// slot is what a scenario decides about an answer. A request gets at most one
// scenario per slot; where several sources select one, the one of the highest
// precedence wins (header, then admin API, then fixtures rules).
type slot uint8

const (
	slotAnswer slot = iota // which answer: an error or a data shape
	slotDelay              // how long before answering
	slotFault              // what happens to the connection or the body
	numSlots
)

var slotNames = [numSlots]string{"answer", "delay", "fault"}

// stage is where in the middleware chain a scenario acts.
type stage uint8

const (
	stageControl stage = iota // none: claims its slots, does nothing
	stageGateway              // the gateway, once the app and user are authenticated
	stageService              // job-execute, before any of its own checks
	stageData                 // the list handler: the checks pass, the data changes
	stageDelay                // before anything else
	stageFault                // around the whole answer
)

type argKind uint8

const (
	argNone     argKind = iota
	argEnum             // optional, one of def.Args, default Args[0]
	argDuration         // optional Go duration, default def.defDur, at most def.maxDur
	argRange            // required: a duration or MIN-MAX, at most def.maxDur
)

// Bounds of the transport scenarios, so that a typo cannot hold a
// connection for hours.
const (
	maxLatency     = 2 * time.Minute
	maxHang        = 2 * time.Minute
	defaultHang    = 30 * time.Second
	scenarioGroups = "contract error, gateway error, data shape, transport fault, control"
)

// scenarioDef is one entry of the scenario catalog.
type scenarioDef struct {
	name    string
	group   string
	status  int      // the status it answers with; 0 for faults and control
	args    []string // argEnum: the accepted arguments, the default first
	argName string   // how the argument is written in the syntax
	summary string
	example string // a value for X-Mock-Scenario

	slot   slot
	stage  stage
	arg    argKind
	defDur time.Duration
	maxDur time.Duration

	service func(arg string) *apiError     // stageService: the error to answer
	gateway func(arg string) *gatewayError // stageGateway: the error to answer
}

// syntax returns how the scenario is written: name, name[:ARG] or name:ARG.
func (d *scenarioDef) syntax() string {
	switch d.arg {
	case argEnum:
		return d.name + "[:" + strings.Join(d.args, "|") + "]"
	case argDuration:
		return d.name + "[:" + d.argName + "]"
	case argRange:
		return d.name + ":" + d.argName
	}
	return d.name
}

// Parameters each invalid-parameter scenario may name, in the server's order.
var (
	requiredParams = []string{"create_time_start", "bk_scope_type", "bk_scope_id", "create_time_end"}
	numericParams  = []string{"create_time_start", "create_time_end", "job_instance_id", "launch_mode", "type", "status", "job_cron_id", "offset", "length"}
)

// scenarioCatalog is the one table of scenarios: the header, the admin API, the
// fixtures rules, GET /__mock/scenarios/catalog, the admin page and docs/scenarios.md
// all use these names.
var scenarioCatalog = []*scenarioDef{
	// Contract errors: job-execute's v4 envelope with a job_request_id. They
	// answer once the gateway has authenticated the request, before the
	// service's own checks.
	{
		name: "no-permission", group: "contract error", status: http.StatusForbidden, slot: slotAnswer, stage: stageService,
		summary: "403 NO_PERMISSION with the IAM data block for the requested scope, as if the user lacked access_business",
		example: "no-permission",
		service: func(string) *apiError { return &apiError{kind: errNoPermission} },
	},
	{
		name: "scope-not-found", group: "contract error", status: http.StatusNotFound, slot: slotAnswer, stage: stageService,
		summary: "404 NOT_FOUND: the business or business set does not exist or is archived",
		example: "scope-not-found",
		service: func(string) *apiError { return &apiError{kind: errScopeNotFound} },
	},
	{
		name: "internal-error", group: "contract error", status: http.StatusInternalServerError, slot: slotAnswer, stage: stageService,
		summary: "500 INTERNAL (内部服务器异常), what job-execute answers when it fails",
		example: "internal-error",
		service: func(string) *apiError { return &apiError{kind: errInternal} },
	},
	{
		name: "missing-param", group: "contract error", status: http.StatusBadRequest, slot: slotAnswer, stage: stageService,
		arg: argEnum, args: requiredParams,
		summary: "400 INVALID_ARGUMENT 请求参数[NAME]缺失 (details 1241004)",
		example: "missing-param:create_time_end",
		service: func(p string) *apiError { return &apiError{kind: errMissingParam, param: p} },
	},
	{
		name: "type-mismatch", group: "contract error", status: http.StatusBadRequest, slot: slotAnswer, stage: stageService,
		arg: argEnum, args: numericParams,
		summary: "400 INVALID_ARGUMENT 请求参数[NAME]类型错误 (details 1241020)",
		example: "type-mismatch:offset",
		service: func(p string) *apiError { return &apiError{kind: errTypeMismatch, param: p} },
	},
	{
		name: "out-of-range", group: "contract error", status: http.StatusBadRequest, slot: slotAnswer, stage: stageService,
		arg: argEnum, args: []string{"offset", "length"},
		summary: "400 INVALID_ARGUMENT 字段[getJobInstanceList.NAME]绑定失败 with the range text in details (1241025)",
		example: "out-of-range:length",
		service: func(p string) *apiError { return &apiError{kind: errBindFailed, param: p} },
	},
	{
		name: "blank-param", group: "contract error", status: http.StatusBadRequest, slot: slotAnswer, stage: stageService,
		arg: argEnum, args: []string{"bk_scope_id", "bk_scope_type"},
		summary: "400 INVALID_ARGUMENT 字段[getJobInstanceList.NAME]绑定失败, details 参数 NAME 不能为空 (1241025)",
		example: "blank-param",
		service: func(p string) *apiError { return &apiError{kind: errBindFailed, param: p} },
	},
	{
		name: "invalid-value", group: "contract error", status: http.StatusBadRequest, slot: slotAnswer, stage: stageService,
		arg: argEnum, args: []string{"status", "launch_mode", "type", "bk_scope_type"},
		summary: "400 INVALID_ARGUMENT 请求参数[NAME]不合法 (details 1241005)",
		example: "invalid-value:launch_mode",
		service: func(p string) *apiError { return &apiError{kind: errInvalidParam, param: p} },
	},

	// Gateway errors: the legacy envelope and X-Bkapi-Error-* headers. The real
	// gateway verifies the app and user first, then rate limits, app
	// permission, and proxies to bk-job; so do these.
	{
		name: "app-no-permission", group: "gateway error", status: http.StatusForbidden, slot: slotAnswer, stage: stageGateway,
		summary: "403 APP_NO_PERMISSION (1640301): the app is not granted the resource",
		example: "app-no-permission",
		gateway: func(string) *gatewayError {
			return &gatewayError{http.StatusForbidden, 1640301, "APP_NO_PERMISSION", "App has no permission to the resource"}
		},
	},
	{
		name: "rate-limited", group: "gateway error", status: http.StatusTooManyRequests, slot: slotAnswer, stage: stageGateway,
		arg: argEnum, args: []string{"stage", "resource"},
		summary: "429 RATE_LIMIT_RESTRICTION: 1642902 (stage strategy) or 1642903 (resource strategy), with X-Bkapi-RateLimit-* headers",
		example: "rate-limited:resource",
		gateway: func(arg string) *gatewayError {
			if arg == "resource" {
				return &gatewayError{http.StatusTooManyRequests, 1642903, "RATE_LIMIT_RESTRICTION", "API rate limit exceeded by resource strategy"}
			}
			return &gatewayError{http.StatusTooManyRequests, 1642902, "RATE_LIMIT_RESTRICTION", "API rate limit exceeded by stage strategy"}
		},
	},
	{
		name: "bad-gateway", group: "gateway error", status: http.StatusBadGateway, slot: slotAnswer, stage: stageGateway,
		arg: argEnum, args: []string{"closed", "failed"},
		summary: "502: 1650200 BAD_GATEWAY (upstream closed) or 1650201 ERROR_REQUESTING_RESOURCE (request to bk-job failed)",
		example: "bad-gateway",
		gateway: func(arg string) *gatewayError {
			if arg == "failed" {
				return &gatewayError{http.StatusBadGateway, 1650201, "ERROR_REQUESTING_RESOURCE", `Request backend service failed [detail="Bad Gateway" err="EOF" status="502"]`}
			}
			return gatewayBadGateway()
		},
	},
	{
		name: "gateway-timeout", group: "gateway error", status: http.StatusGatewayTimeout, slot: slotAnswer, stage: stageGateway,
		summary: "504 REQUEST_BACKEND_TIMEOUT (1650401); add latency to make it slow too",
		example: "gateway-timeout, latency:3s",
		gateway: func(string) *gatewayError {
			return gatewayTimeout()
		},
	},

	// Data shapes: every check still runs (a user without permission still
	// gets 403); a passing request gets this list, in the requested scope.
	{
		name: "empty", group: "data shape", status: http.StatusOK, slot: slotAnswer, stage: stageData,
		summary: "200 with an empty job_instance_list",
		example: "empty",
	},
	{
		name: "running", group: "data shape", status: http.StatusOK, slot: slotAnswer, stage: stageData,
		summary: "200 with a full page (the requested length) of still-running tasks (status 2, start_time and a live total_time, no end_time)",
		example: "running",
	},
	{
		name: "full-page", group: "data shape", status: http.StatusOK, slot: slotAnswer, stage: stageData,
		summary: "200 with the largest page: 200 items, whatever length was asked",
		example: "full-page",
	},

	// Transport: a delay before answering, or something wrong with the connection.
	{
		name: "latency", group: "transport fault", slot: slotDelay, stage: stageDelay,
		arg: argRange, argName: "DURATION[-DURATION]", maxDur: maxLatency,
		summary: "wait before answering: a fixed duration (latency:300ms) or one drawn from a range, seeded by the seed and the request (latency:100ms-2s); at most 2m",
		example: "latency:100ms-2s",
	},
	{
		name: "reset", group: "transport fault", slot: slotFault, stage: stageFault,
		summary: "no answer: the connection is reset (TCP RST)",
		example: "reset",
	},
	{
		name: "truncated", group: "transport fault", slot: slotFault, stage: stageFault,
		summary: "the status, headers and half of the body, with a Content-Length for the whole body, then the connection closes",
		example: "truncated",
	},
	{
		name: "malformed-json", group: "transport fault", slot: slotFault, stage: stageFault,
		summary: "the usual status and headers with a body that is not JSON (cut in the middle, ending in ...)",
		example: "malformed-json",
	},
	{
		name: "hang", group: "transport fault", slot: slotFault, stage: stageFault,
		arg: argDuration, argName: "DURATION", defDur: defaultHang, maxDur: maxHang,
		summary: "no answer: the connection stays open, then closes after the bound (default 30s, at most 2m)",
		example: "hang:10s",
	},

	// Control.
	{
		name: "none", group: "control", slot: slotAnswer, stage: stageControl,
		summary: "the real answer: takes every slot still free, so scenarios of lower precedence (admin API, fixtures rules) do not apply",
		example: "none",
	},
}

var scenarioByName = func() map[string]*scenarioDef {
	m := make(map[string]*scenarioDef, len(scenarioCatalog))
	for _, d := range scenarioCatalog {
		m[d.name] = d
	}
	return m
}()

// scenarioNames lists every scenario name, in catalog order.
var scenarioNames = func() []string {
	out := make([]string, len(scenarioCatalog))
	for i, d := range scenarioCatalog {
		out[i] = d.name
	}
	return out
}()

// scenario is one parsed scenario: a catalog entry and its argument.
type scenario struct {
	def      *scenarioDef
	arg      string        // argEnum: the argument, default applied; duration kinds: as written
	min, max time.Duration // latency range (min == max when fixed); hang bound in max
}

func (sc scenario) String() string {
	if sc.def == nil {
		return ""
	}
	if sc.def.arg == argNone || sc.arg == "" {
		return sc.def.name
	}
	return sc.def.name + ":" + sc.arg
}

// parseScenarios parses a comma-separated list of scenarios. Blank items are
// skipped. A name not in the catalog, a bad argument or two scenarios for the
// same slot are errors; the error says what is wrong and what is accepted.
func parseScenarios(text string) ([]scenario, *mockError) {
	var out []scenario
	for item := range strings.SplitSeq(text, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		sc, err := parseScenario(item)
		if err != nil {
			return nil, err
		}
		for _, prev := range out {
			if prev.def.slot == sc.def.slot {
				return nil, &mockError{
					status: http.StatusBadRequest, Code: "SCENARIO_CONFLICT",
					Message: fmt.Sprintf("scenarios %q and %q both decide the %s; combine at most one of each: answer (an error, a data shape or none), delay (latency), fault (reset, truncated, malformed-json, hang)",
						prev.String(), sc.String(), slotNames[sc.def.slot]),
				}
			}
		}
		out = append(out, sc)
	}
	return out, nil
}

func parseScenario(item string) (scenario, *mockError) {
	name, arg, hasArg := strings.Cut(item, ":")
	name = strings.ToLower(strings.TrimSpace(name))
	arg = strings.TrimSpace(arg)
	def := scenarioByName[name]
	if def == nil {
		return scenario{}, &mockError{
			status: http.StatusBadRequest, Code: "UNKNOWN_SCENARIO",
			Message: fmt.Sprintf("unknown scenario %q; valid scenarios: %s (GET /__mock/scenarios/catalog describes them)", name, strings.Join(scenarioNames, ", ")),
			Valid:   scenarioNames,
		}
	}
	bad := func(format string, a ...any) (scenario, *mockError) {
		return scenario{}, &mockError{
			status: http.StatusBadRequest, Code: "BAD_SCENARIO_ARGUMENT",
			Message: fmt.Sprintf("scenario %q: ", item) + fmt.Sprintf(format, a...) + "; write it as " + def.syntax(),
		}
	}
	sc := scenario{def: def}
	switch def.arg {
	case argNone:
		if hasArg {
			return bad("takes no argument")
		}
	case argEnum:
		sc.arg = def.args[0]
		if hasArg {
			if !slices.Contains(def.args, arg) {
				return bad("unknown argument %q", arg)
			}
			sc.arg = arg
		}
	case argDuration:
		sc.max = def.defDur
		if hasArg {
			d, err := parseDuration(arg, def.maxDur)
			if err != "" {
				return bad("%s", err)
			}
			sc.arg, sc.max = arg, d
		}
	case argRange:
		if !hasArg || arg == "" {
			return bad("needs a duration")
		}
		lo, hi, isRange := strings.Cut(arg, "-")
		var err string
		if sc.min, err = parseDuration(lo, def.maxDur); err != "" {
			return bad("%s", err)
		}
		sc.max = sc.min
		if isRange {
			if sc.max, err = parseDuration(hi, def.maxDur); err != "" {
				return bad("%s", err)
			}
			if sc.max < sc.min {
				return bad("the range %s goes backwards", arg)
			}
		}
		sc.arg = arg
	}
	return sc, nil
}

// parseDuration reads a Go duration (300ms, 2s, 1m30s); a bare number means
// milliseconds. It returns a message when the text is not one or is out of bounds.
func parseDuration(s string, maxDur time.Duration) (time.Duration, string) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		ms, nerr := strconv.ParseInt(s, 10, 64)
		if nerr != nil {
			return 0, fmt.Sprintf("%q is not a duration such as 300ms, 2s or 1m", s)
		}
		d = time.Duration(ms) * time.Millisecond
	}
	if d < 0 || d > maxDur {
		return 0, fmt.Sprintf("%s is out of bounds: 0 to %s", s, maxDur)
	}
	return d, ""
}

// formatScenarios writes scenarios back as a header value.
func formatScenarios(scs []scenario) string {
	parts := make([]string, len(scs))
	for i, sc := range scs {
		parts[i] = sc.String()
	}
	return strings.Join(parts, ", ")
}
