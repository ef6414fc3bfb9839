#!/usr/bin/env bash
# Start the sam3clip HTTP server in the background.
#
#   scripts/start.sh [--port 7860] [--host 127.0.0.1] [--models DIR]
#
# Logs go to $STATE/logs/sam3clip-<port>.log and the pid to $STATE/run/sam3clip-<port>.pid, where
# $STATE is SAM3CLIP_STATE_DIR (default: the repository root).
#
# Environment:
#   SAM3CLIP_SERVER_CMD     whole server command; `--port P --host H` is appended
#                           (default: node <repo>/dist/cli/main.js serve [--models M])
#   SAM3CLIP_SERVER_MARKER  text that identifies our server in a process command line
#                           (default: dist/cli/main.js)
#   SAM3CLIP_STATE_DIR      folder that receives logs/ and run/
#   SAM3CLIP_START_TIMEOUT  seconds to wait for the server to listen (default 30)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

PORT=7860
HOST=127.0.0.1
MODELS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    --host) HOST="${2:?--host needs a value}"; shift 2 ;;
    --host=*) HOST="${1#*=}"; shift ;;
    --models) MODELS="${2:?--models needs a value}"; shift 2 ;;
    --models=*) MODELS="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "start.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 1 || PORT > 65535 )); then
  echo "start.sh: --port must be a number from 1 to 65535, got '$PORT'" >&2
  exit 2
fi

STATE_DIR="${SAM3CLIP_STATE_DIR:-$REPO_ROOT}"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"
LOG_FILE="$LOG_DIR/sam3clip-$PORT.log"
PID_FILE="$RUN_DIR/sam3clip-$PORT.pid"
MARKER="${SAM3CLIP_SERVER_MARKER:-dist/cli/main.js}"
START_TIMEOUT="${SAM3CLIP_START_TIMEOUT:-30}"
mkdir -p "$LOG_DIR" "$RUN_DIR"

if [[ -n "${SAM3CLIP_SERVER_CMD:-}" ]]; then
  SERVER_CMD="$SAM3CLIP_SERVER_CMD"
else
  if [[ ! -f "$REPO_ROOT/dist/cli/main.js" ]]; then
    echo "start.sh: $REPO_ROOT/dist/cli/main.js is missing; run 'npm run build:ts' first" >&2
    exit 1
  fi
  SERVER_CMD="node $(printf '%q' "$REPO_ROOT/dist/cli/main.js") serve"
  if [[ -n "$MODELS" ]]; then
    SERVER_CMD+=" --models $(printf '%q' "$MODELS")"
  fi
fi
SERVER_CMD+=" --port $PORT --host $(printf '%q' "$HOST")"

# Two start.sh runs for the same port would race between the port check and the launch.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$RUN_DIR/sam3clip-$PORT.lock"
  if ! flock -w 60 9; then
    echo "start.sh: another start.sh for port $PORT is still running" >&2
    exit 1
  fi
fi

# shellcheck source=server-process.sh
source "$REPO_ROOT/scripts/server-process.sh"

# Exit 0: free. 1: in use. 2: cannot bind for another reason (message on stdout).
# Binding is the one check that needs neither root nor ss/lsof/netstat, and it asks the kernel the
# exact question the server will ask.
port_status() {
  node -e '
    const net = require("net");
    const srv = net.createServer();
    srv.once("error", (e) => {
      console.log(e.code || e.message);
      process.exit(e.code === "EADDRINUSE" ? 1 : 2);
    });
    srv.listen(Number(process.argv[1]), process.argv[2], () => srv.close(() => process.exit(0)));
  ' "$PORT" "$HOST"
}

port_accepts() {
  node -e '
    const s = require("net").connect(Number(process.argv[1]), process.argv[2]);
    s.setTimeout(1000);
    s.once("connect", () => { s.destroy(); process.exit(0); });
    s.once("error", () => process.exit(1));
    s.once("timeout", () => process.exit(1));
  ' "$PORT" "$HOST" >/dev/null 2>&1
}

# 1. Our own earlier instance on this port: replace it.
if [[ -f "$PID_FILE" ]]; then
  read_record "$PID_FILE"
  OLD_PID="$REC_PID"
  if [[ -z "$OLD_PID" ]] || ! is_alive "$OLD_PID"; then
    echo "Removing stale pidfile $PID_FILE (pid ${OLD_PID:-?} is not running)"
  elif WHY="$(not_our_server "$PORT")"; then
    rm -f "$PID_FILE"
    echo "start.sh: not signalling pid $OLD_PID: $WHY. It is not the server start.sh started on port $PORT; removed $PID_FILE, not starting" >&2
    exit 1
  else
    echo "Stopping previous sam3clip server on port $PORT (pid $OLD_PID)"
    stop_pid "$OLD_PID" || exit 1
  fi
  rm -f "$PID_FILE"
fi

set +e
PORT_MSG="$(port_status 2>&1)"
PORT_RC=$?
set -e
if (( PORT_RC == 1 )); then
  echo "start.sh: port $PORT on $HOST is already in use by another program; not starting." >&2
  echo "start.sh: stop that program or pick another port with --port." >&2
  exit 1
elif (( PORT_RC != 0 )); then
  echo "start.sh: cannot bind port $PORT on $HOST: $PORT_MSG" >&2
  exit 1
fi

# 3. Launch. The child writes its own pid and then execs the server, so the pidfile holds the
# server's pid whether or not setsid had to fork. Output to the log and stdin from /dev/null keep
# the server from holding the caller's terminal or pipes open; fd 9 (the lock) is closed so the
# lock ends with this script.
LOG_OFFSET=0
if [[ -f "$LOG_FILE" ]]; then
  LOG_OFFSET="$(wc -c < "$LOG_FILE" | tr -d ' ')"
fi
{
  echo "=== $(date '+%Y-%m-%d %H:%M:%S') start: $SERVER_CMD"
} >> "$LOG_FILE"
LOG_OFFSET="$(wc -c < "$LOG_FILE" | tr -d ' ')"

TOKEN="$(new_token)"
LAUNCH=(env SAM3CLIP_INSTANCE="$TOKEN" nohup bash -c 'echo $$ > "$1"; shift; eval "exec $1"' sam3clip-launch "$PID_FILE" "$SERVER_CMD")
if command -v setsid >/dev/null 2>&1; then
  LAUNCH=(setsid "${LAUNCH[@]}")
fi
"${LAUNCH[@]}" >> "$LOG_FILE" 2>&1 < /dev/null 9>&- &
LAUNCHER_PID=$!

log_tail() {
  echo "---- last lines of $LOG_FILE ----" >&2
  tail -n 40 "$LOG_FILE" >&2 || true
}

SERVER_PID=""
for (( i = 0; i < 50; i++ )); do
  if [[ -s "$PID_FILE" ]]; then
    SERVER_PID="$(tr -dc '0-9' < "$PID_FILE" || true)"
    [[ -n "$SERVER_PID" ]] && break
  fi
  sleep 0.1
done
if [[ -n "$SERVER_PID" ]]; then
  # The launcher wrote its pid, which the server keeps through exec; now the whole record.
  write_record "$PID_FILE" "$SERVER_PID" "$PORT" "$TOKEN"
fi
if [[ -z "$SERVER_PID" ]]; then
  echo "start.sh: the server process did not start" >&2
  log_tail
  kill -TERM "$LAUNCHER_PID" 2>/dev/null || true
  rm -f "$PID_FILE"
  exit 1
fi

# 4. Wait for the "listening on" line (or a connectable port).
URL=""
DEADLINE=$(( SECONDS + START_TIMEOUT ))
i=0
while (( SECONDS < DEADLINE )); do
  LINE="$(tail -c "+$(( LOG_OFFSET + 1 ))" "$LOG_FILE" 2>/dev/null | grep -m1 -o 'listening on [^[:space:]]*' || true)"
  if [[ -n "$LINE" ]]; then
    URL="${LINE#listening on }"
    break
  fi
  if ! is_alive "$SERVER_PID"; then
    echo "start.sh: the server exited during startup" >&2
    log_tail
    rm -f "$PID_FILE"
    exit 1
  fi
  # A connect probe costs a node start-up, so only every second.
  if (( i % 5 == 4 )) && port_accepts; then
    URL="http://$HOST:$PORT"
    break
  fi
  i=$(( i + 1 ))
  sleep 0.2
done

if [[ -z "$URL" ]]; then
  echo "start.sh: the server did not listen on port $PORT within ${START_TIMEOUT} s; stopping it" >&2
  log_tail
  stop_pid "$SERVER_PID" || true
  rm -f "$PID_FILE"
  exit 1
fi

echo "sam3clip server running (pid $SERVER_PID)"
echo "  url:  $URL"
echo "  log:  $LOG_FILE"
echo "  stop: $REPO_ROOT/scripts/stop.sh --port $PORT"
