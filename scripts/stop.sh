#!/usr/bin/env bash
# Stop the sam3clip server that scripts/start.sh started on a port.
#
#   scripts/stop.sh [--port 7860]
#
# Only the process recorded in $STATE/run/sam3clip-<port>.pid is signalled, and only when its
# command line carries SAM3CLIP_SERVER_MARKER (default: dist/cli/main.js). $STATE is
# SAM3CLIP_STATE_DIR (default: the repository root).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

PORT=7860
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "stop.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 1 || PORT > 65535 )); then
  echo "stop.sh: --port must be a number from 1 to 65535, got '$PORT'" >&2
  exit 2
fi

STATE_DIR="${SAM3CLIP_STATE_DIR:-$REPO_ROOT}"
PID_FILE="$STATE_DIR/run/sam3clip-$PORT.pid"
MARKER="${SAM3CLIP_SERVER_MARKER:-dist/cli/main.js}"

# kill -0 also succeeds for zombies, which linger when the reaping parent is not a real init;
# a zombie holds no port and must count as gone.
is_alive() {
  local pid="$1" state=""
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    state="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" || true
  else
    state="$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" || true
  fi
  [[ -n "$state" && "$state" != "Z" ]]
}

cmdline_of() {
  local pid="$1"
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true
  else
    ps -o args= -p "$pid" 2>/dev/null || true
  fi
}

if [[ ! -f "$PID_FILE" ]]; then
  echo "sam3clip is not running on port $PORT (no pidfile at $PID_FILE)"
  exit 0
fi

PID="$(tr -dc '0-9' < "$PID_FILE" || true)"
if [[ -z "$PID" ]] || ! is_alive "$PID"; then
  rm -f "$PID_FILE"
  echo "sam3clip is not running on port $PORT (removed stale pidfile for pid ${PID:-?})"
  exit 0
fi

CMD="$(cmdline_of "$PID")"
if [[ -z "$CMD" || "$CMD" != *"$MARKER"* ]]; then
  # The pid was recycled by an unrelated program; that program is not ours to stop.
  rm -f "$PID_FILE"
  echo "sam3clip is not running on port $PORT (pid $PID belongs to another program; left it alone, removed the pidfile)"
  exit 0
fi

kill -TERM "$PID" 2>/dev/null || true
for (( i = 0; i < 50; i++ )); do
  is_alive "$PID" || break
  sleep 0.2
done
if is_alive "$PID"; then
  echo "pid $PID ignored SIGTERM for 10 s; sending SIGKILL"
  kill -KILL "$PID" 2>/dev/null || true
  for (( i = 0; i < 25; i++ )); do
    is_alive "$PID" || break
    sleep 0.2
  done
fi
if is_alive "$PID"; then
  echo "stop.sh: pid $PID is still alive after SIGKILL" >&2
  exit 1
fi

rm -f "$PID_FILE"
echo "Stopped sam3clip server on port $PORT (pid $PID)"
