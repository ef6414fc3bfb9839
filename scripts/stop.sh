#!/usr/bin/env bash
# Stop the sam3clip server that scripts/start.sh started on a port.
#
#   scripts/stop.sh [--port 7860]
#
# Only the process recorded in $STATE/run/sam3clip-<port>.pid is signalled, and only when all of
# the record matches it: pid, port (in the record and on its command line, with
# SAM3CLIP_SERVER_MARKER, default dist/cli/main.js), start time and the instance token start.sh put
# in its environment. Anything else: a message, exit 1. $STATE is SAM3CLIP_STATE_DIR (default:
# the repository root).
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

# shellcheck source=server-process.sh
source "$REPO_ROOT/scripts/server-process.sh"

if [[ ! -f "$PID_FILE" ]]; then
  echo "sam3clip is not running on port $PORT (no pidfile at $PID_FILE)"
  exit 0
fi

read_record "$PID_FILE"
PID="$REC_PID"
if [[ -z "$PID" ]] || ! is_alive "$PID"; then
  rm -f "$PID_FILE"
  echo "sam3clip is not running on port $PORT (removed stale pidfile for pid ${PID:-?})"
  exit 0
fi

if WHY="$(not_our_server "$PORT")"; then
  # Whatever the pid is now, it is not ours to stop: refuse, and drop the record that named it.
  rm -f "$PID_FILE"
  echo "stop.sh: not signalling pid $PID: $WHY. It is not the server start.sh started on port $PORT; removed $PID_FILE" >&2
  exit 1
fi

stop_pid "$PID" || exit 1

rm -f "$PID_FILE"
echo "Stopped sam3clip server on port $PORT (pid $PID)"
