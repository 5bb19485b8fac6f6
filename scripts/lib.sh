# Shared by the scripts (sourced, not run): where the server is, which token to send, the jar, and
# one way to call the API that puts a refusal on stderr with the server's name and exits non-zero.

# The server: PL_SERVER, else the local node on PL_HTTP_PORT (8950).
pl_server() {
  local s="${PL_SERVER:-http://127.0.0.1:${PL_HTTP_PORT:-8950}}"
  echo "${s%/}"
}

# A bearer token: PL_TOKEN, else the one the server wrote to ${PL_DATA_DIR:-data}/tokens/ (operator, then admin).
pl_token() {
  if [ -n "${PL_TOKEN:-}" ]; then echo "$PL_TOKEN"; return; fi
  local dir="${PL_DATA_DIR:-data}/tokens" f
  case "$dir" in /*) ;; *) dir="$PL_ROOT/$dir" ;; esac
  for f in "$dir/operator.token" "$dir/admin.token"; do
    if [ -r "$f" ]; then tr -d '[:space:]' < "$f"; return; fi
  done
  echo "no token: set PL_TOKEN, or start the server once (it writes $dir/operator.token)" >&2
  exit 1
}

# pl_call METHOD PATH [curl options...]: prints the body on stdout; a refusal or an unreachable
# server goes to stderr naming the server and the cause, and the script exits 1.
pl_call() {
  local method=$1 path=$2 server token reply code body rc=0 cause
  shift 2
  server=$(pl_server)
  token=$(pl_token) || exit 1
  reply=$(curl -sS -X "$method" -H "Authorization: Bearer $token" -w '\n%{http_code}' "$@" "$server$path" 2>&1) || rc=$?
  if [ $rc -ne 0 ]; then
    cause=${reply%$'\n'*}
    echo "cannot reach the server at $server (${cause##*curl: }); is it running? PL_SERVER or PL_HTTP_PORT names another" >&2
    exit 1
  fi
  code=${reply##*$'\n'}
  body=${reply%$'\n'*}
  if [ "$code" -ge 400 ]; then
    echo "the server at $server refused $method $path ($code): $body" >&2
    exit 1
  fi
  echo "$body"
}

# The runnable jar: built when missing; `pl_jar fresh` (scripts/run) also rebuilds it when the
# sources are newer. Client scripts do not rebuild a jar that exists: a server may be running from it.
pl_jar() {
  local jar="$PL_ROOT/target/production-line.jar"
  if [ ! -f "$jar" ] || { [ "${1:-}" = fresh ] && [ -n "$(cd "$PL_ROOT" && find src/main conf webroot pom.xml -newer "$jar" -print -quit 2>/dev/null)" ]; }; then
    echo "Building target/production-line.jar (the first build downloads dependencies from Maven Central)…" >&2
    (cd "$PL_ROOT" && mvn -B -q -DskipTests package >&2) || { echo "the build did not complete" >&2; exit 1; }
  fi
  echo "$jar"
}

PL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
