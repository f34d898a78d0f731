#!/bin/sh
# image-test: run the image built by `make image`, ask it the default query
# and /__mock/health, check the admin token works from outside the container,
# then stop it. Needs a docker daemon and curl; `make image-test` runs it.
# Only the container this script starts is stopped.
set -eu

IMAGE=${IMAGE:-bkjob-mock:dev}
TOKEN=image-test-token
NOW=2026-11-29T10:00:00+08:00 # the README's first request asks about the day before
AUTH='{"bk_app_code":"demo","bk_app_secret":"any","bk_username":"admin"}'
QUERY='bk_scope_type=biz&bk_scope_id=2&create_time_start=1795831200000&create_time_end=1795917600000&length=2'

fail() { echo "image-test: FAIL: $*" >&2; exit 1; }

user=$(docker image inspect --format '{{.Config.User}}' "$IMAGE")
[ "$user" = "65532:65532" ] || fail "image user is '$user', want 65532:65532"

cid=$(docker run -d --rm -p 127.0.0.1::8080 \
  -e BKJOB_MOCK_NOW="$NOW" -e BKJOB_MOCK_ADMIN_TOKEN="$TOKEN" "$IMAGE")
stop() {
  status=$?
  [ "$status" = 0 ] || docker logs "$cid" >&2 || true
  docker stop -t 5 "$cid" >/dev/null 2>&1 || true
  exit "$status"
}
trap stop EXIT
port=$(docker port "$cid" 8080/tcp | head -n 1 | sed 's/.*://')
base="http://127.0.0.1:$port"
echo "image-test: container ${cid%"${cid#????????????}"} of $IMAGE at $base"

i=0
until curl -fsS "$base/__mock/health" >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -le 50 ] || fail "no answer on /__mock/health after 10 s"
  sleep 0.2
done

health=$(curl -sS -o /dev/null -w '%{http_code}' "$base/__mock/health")
[ "$health" = 200 ] || fail "GET /__mock/health: $health"
echo "image-test: GET /__mock/health: $health"

hdr=$(mktemp) body=$(mktemp)
code=$(curl -sS -D "$hdr" -o "$body" -w '%{http_code}' -H "X-Bkapi-Authorization: $AUTH" \
  "$base/api/v4/get_job_instance_list?$QUERY")
[ "$code" = 200 ] || fail "default query: $code $(cat "$body")"
grep -q '"job_instance_list":\[{"job_instance_id":' "$body" || fail "default query: no tasks in $(cat "$body")"
grep -qi '^X-Bkapi-Request-Id: [0-9a-f]\{32\}' "$hdr" || fail "default query: no X-Bkapi-Request-Id"
echo "image-test: GET /api/v4/get_job_instance_list?$QUERY: $code"
head -c 300 "$body"; echo ...
rm -f "$hdr" "$body"

# Requests reach the container from outside its loopback: admin writes need the token.
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$base/__mock/scenarios")
[ "$code" = 401 ] || fail "admin write without the token: $code, want 401"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOKEN" "$base/__mock/scenarios")
[ "$code" = 204 ] || fail "admin write with the token: $code, want 204"
echo "image-test: admin write without the token: 401, with it: 204"
echo "image-test: ok"
