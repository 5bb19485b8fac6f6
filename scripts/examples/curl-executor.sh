#!/usr/bin/env bash
# An executor for Production Line in bash: curl for HTTP, jq for JSON (see docs/executors.md).
# It runs `sim` steps (by sleeping) and `shell` steps (their output becomes log lines), reports
# what the station's requirements ask for (an audit's verification level), heartbeats in the
# background, stops on a cancel, and on Ctrl-C or SIGTERM hands its task back and leaves.
#
#   PL_EXECUTOR_ID=bash-1 PL_CAPABILITIES=sim \
#   PL_TOKEN=$(scripts/token executor --executor-id bash-1) scripts/examples/curl-executor.sh
#
# PL_SERVER (default http://127.0.0.1:$PL_HTTP_PORT, port 8950), PL_TOKEN (an executor token, required),
# PL_EXECUTOR_ID (default bash-<pid>), PL_CAPABILITIES (default sim), PL_WAIT_SECONDS (claim long-poll, default 10).
set -uo pipefail
S=${PL_SERVER:-http://127.0.0.1:${PL_HTTP_PORT:-8950}}
ID=${PL_EXECUTOR_ID:-bash-$$}
CAPS=${PL_CAPABILITIES:-sim}
WAIT=${PL_WAIT_SECONDS:-10}
for tool in curl jq; do
  command -v $tool >/dev/null || { echo "curl-executor: $tool is required (apt-get install $tool)" >&2; exit 2; }
done
[ -n "${PL_TOKEN:-}" ] || { echo "curl-executor: PL_TOKEN must hold an executor token for $ID (scripts/token executor --executor-id $ID)" >&2; exit 2; }
AUTH=(-H "Authorization: Bearer $PL_TOKEN")
STATE=$(mktemp -d)                     # $STATE/task: the task in hand; $STATE/cancel: stop it

# api METHOD PATH [JSON]: prints the reply; returns 1 on a 4xx/5xx answer, 2 when the server was not reached.
# $KEY, when set, is sent as the Idempotency-Key.
api() {
  local out
  out=$(curl -sS -X "$1" "${AUTH[@]}" -H 'Content-Type: application/json' ${KEY:+-H "Idempotency-Key: $KEY"} \
        ${3:+--data "$3"} -w '\n%{http_code}' "$S$2") || return 2
  printf '%s\n' "${out%$'\n'*}"
  [ "${out##*$'\n'}" -lt 400 ]
}
# Every $(...) is assigned to a variable first, never expanded inside another command's quotes:
# bash 5.2 can fail to parse such a line when a signal (Ctrl-C, SIGTERM) comes while it runs, and
# then never runs the trap that stops the executor.
say() {  # say LEVEL MESSAGE: one log line for the task in hand; a reply with cancel:true stops it
  local r b
  b=$(jq -nc --arg l "$LEASE" --arg v "$1" --arg m "$2" '{lease_token: $l, events: [{level: $v, message: $m}]}')
  r=$(api POST "/api/v1/work/$TASK/events" "$b") || return 0
  c=$(jq -r .cancel <<<"$r"); [ "$c" != true ] || touch "$STATE/cancel"
}

# 1. Register; the reply says how often to heartbeat.
b=$(jq -nc --arg id "$ID" --arg caps "$CAPS" '{executor_id: $id, type: "bash", environment: "local", capabilities: ($caps | split(","))}')
reg=$(api POST /api/v1/executors "$b")
case $? in
  0) ;;
  2) echo "curl-executor: could not reach the server at $S" >&2; rm -rf "$STATE"; exit 1 ;;
  *) echo "curl-executor: $S refused the registration of $ID: $(jq -r '.detail // .' <<<"$reg" 2>/dev/null || echo "$reg")" >&2
     rm -rf "$STATE"; exit 1 ;;
esac
EVERY=$(jq -r .heartbeat_seconds <<<"$reg")
echo "$ID registered at $S for $CAPS; heartbeat every ${EVERY}s"

# 2. Heartbeats in the background: liveness, lease renewal, and cancel notices.
( while sleep "$EVERY"; do
    t=$(cat "$STATE/task" 2>/dev/null)
    b=$(jq -nc --arg t "$t" 'if $t == "" then {status: "idle"} else {status: "busy", current_task: $t} end')
    hb=$(api POST "/api/v1/executors/$ID/heartbeat" "$b")
    case $? in
      0) [ -z "$t" ] || ! jq -e --arg t "$t" '.cancel_tasks | index($t)' <<<"$hb" >/dev/null || touch "$STATE/cancel" ;;
      1) b=$(jq -c '{executor_id, type, environment, capabilities}' <<<"$reg"); api POST /api/v1/executors "$b" >/dev/null ;;
    esac
  done ) &
HEARTBEATS=$!

# 3. Ctrl-C / SIGTERM: finish nothing new; hand the task in hand back; leave (offline at once).
STOP=0
stopping() { STOP=1; touch "$STATE/cancel"; }
leave() { kill $HEARTBEATS 2>/dev/null; api DELETE "/api/v1/executors/$ID" >/dev/null; rm -rf "$STATE"; echo "$ID left"; }
trap stopping INT TERM
trap leave EXIT

while [ $STOP = 0 ]; do
  # 4. Claim: wait up to $WAIT s for a task.
  next=$(api GET "/api/v1/work/next?executor_id=$ID&wait=$WAIT") || { [ $STOP = 1 ] || sleep 1; continue; }
  assigned=$(jq -r .assigned <<<"$next"); [ "$assigned" = true ] || continue
  t=$(jq -c .task <<<"$next")
  TASK=$(jq -r .task_id <<<"$t"); LEASE=$(jq -r .lease_token <<<"$t")
  KIND=$(jq -r .station_kind <<<"$t"); DOC=$(jq -r .document_type <<<"$t")
  echo "$TASK" > "$STATE/task"
  [ $STOP = 1 ] || rm -f "$STATE/cancel"
  station=$(jq -r .station <<<"$t"); attempt=$(jq -r .attempt <<<"$t")
  say info "$ID started $KIND station $station of $DOC (attempt $attempt)"

  # 5. Do the work; progress replies say whether an operator cancelled it.
  outcome=stabilized
  case $(jq -r .step.type <<<"$t") in
    sim)
      ms=$(jq -r '.step.params.duration_ms // 1000' <<<"$t")
      quarter=$(awk -v ms="$ms" 'BEGIN { print ms / 4000 }')
      for p in 0.25 0.5 0.75 1; do
        [ ! -e "$STATE/cancel" ] || break
        sleep "$quarter"
        b=$(jq -nc --arg l "$LEASE" --argjson p $p '{lease_token: $l, progress: $p, message: "\($p * 100)% done"}')
        r=$(api POST "/api/v1/work/$TASK/progress" "$b") || { touch "$STATE/cancel"; break; }
        c=$(jq -r .cancel <<<"$r"); [ "$c" != true ] || touch "$STATE/cancel"
      done ;;
    shell)
      jq .input <<<"$t" > "$STATE/input.json"
      command=$(jq -r .step.params.command <<<"$t")
      PL_INPUT="$STATE/input.json" sh -c "$command" > "$STATE/out" 2>&1
      code=$?
      while IFS= read -r line; do say info "$line"; done < "$STATE/out"
      [ $code = 0 ] || { [ "$KIND" = audit ] && outcome=audit_rejected || outcome=halted; } ;;
    *)
      outcome=halted ;;
  esac

  # 6. Cancelled or stopping: do not complete. Stopping hands the task back to the queue.
  if [ -e "$STATE/cancel" ]; then
    if [ $STOP = 1 ]; then
      b=$(jq -nc --arg l "$LEASE" '{lease_token: $l, reason: "executor stopping"}')
      api POST "/api/v1/work/$TASK/release" "$b" >/dev/null
      echo "$TASK ($DOC $KIND): handed back"
    else
      say info "$ID stopped: the task was cancelled"
    fi
  else
    # 7. Hand in an artifact and the outcome, with the verification level the station's requirements ask for.
    #    The Idempotency-Key makes sending it again harmless.
    body=$(jq -nc --arg l "$LEASE" --arg o "$outcome" --arg k "$KIND" --arg d "$DOC" --arg id "$ID" --argjson task "$t" '
      {lease_token: $l, outcome: $o}
      + (if $o == "halted" then {reason: "the step did not run to the end"} else {} end)
      + (if $o == "audit_rejected" then {reason: "the audit command said no", findings: [{finding: "see the log"}]} else {} end)
      + (if $k == "audit" and $o == "stabilized" then {score: 0.9, verification_level:
           ([$task.requirements[]? | select(.field == "verification_level") | .value] | max // 1)} else {} end)
      + (if $k == "assemble" or $k == "remediate" then {artifacts: [{name: ($d + ".md"), kind: "text",
           content_type: "text/markdown", content: ("# " + $d + "\n\n## Summary\n\nAssembled by " + $id + ".\n")}]} else {} end)')
    for try in 1 2 3; do
      reply=$(KEY="$TASK-done" api POST "/api/v1/work/$TASK/complete" "$body"); rc=$?
      [ $rc = 2 ] || break; sleep $try          # 2: the server was not reached; send it again
    done
    state=$(jq -r '.state // .detail' <<<"$reply")
    why=$(jq -r 'if .audit.decided_by == "gate" then " (" + .audit.reason + ")" else "" end' <<<"$reply")
    echo "$TASK ($DOC $KIND): $outcome -> $state$why"
  fi
  : > "$STATE/task"
done
exit 0
