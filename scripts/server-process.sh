# Shared by start.sh and stop.sh: recognising and stopping the server process they started.
# Expects MARKER (the text our server's command line carries) to be set by the caller. Neither
# script signals a process unless its pidfile record matches it in every part (not_our_server).

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

# The pidfile is a record of what identifies the server start.sh launched, one key=value a line:
#   pid=<pid>  port=<port>  start_time=<the process's start time>  token=<random, in its environment>
# A pid alone proves nothing: it may have been recycled, or copied from another port's pidfile.
read_record() {
  REC_PID="" REC_PORT="" REC_START="" REC_TOKEN=""
  local key value
  while IFS='=' read -r key value || [[ -n "$key" ]]; do
    case "$key" in
      pid) REC_PID="${value//[^0-9]/}" ;;
      port) REC_PORT="${value//[^0-9]/}" ;;
      start_time) REC_START="${value//[^0-9A-Za-z:_]/}" ;;
      token) REC_TOKEN="${value//[^0-9a-f]/}" ;;
    esac
  done < "$1"
  # A pidfile of an older start.sh holds the bare pid.
  if [[ -z "$REC_PID" ]]; then REC_PID="$(tr -dc '0-9' < "$1" || true)"; fi
}

# Clock ticks since boot when the process started (field 22 of /proc/<pid>/stat), else ps's lstart.
start_time_of() {
  local pid="$1"
  if [[ -r "/proc/$pid/stat" ]]; then
    sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20 || true
  else
    ps -o lstart= -p "$pid" 2>/dev/null | tr -s ' ' '_' || true
  fi
}

# SAM3CLIP_INSTANCE from the process's environment (Linux; empty where it cannot be read).
token_of() {
  local pid="$1"
  [[ -r "/proc/$pid/environ" ]] || return 0
  tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | sed -n 's/^SAM3CLIP_INSTANCE=//p' | head -n 1 || true
}

new_token() {
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

write_record() {
  local file="$1" pid="$2" port="$3" token="$4"
  printf 'pid=%s\nport=%s\nstart_time=%s\ntoken=%s\n' "$pid" "$port" "$(start_time_of "$pid")" "$token" > "$file.tmp"
  mv -f "$file.tmp" "$file"
}

# Why the recorded process is not the server start.sh started on PORT; prints nothing (and
# succeeds) only when every part of the record matches the live process. Expects read_record first.
not_our_server() {
  local port="$1" cmd now token
  if [[ "$REC_PORT" != "$port" ]]; then
    echo "the pidfile records port ${REC_PORT:-none}, not $port"; return 0
  fi
  if [[ -z "$REC_START" || -z "$REC_TOKEN" ]]; then
    echo "the pidfile lacks the start time and instance token that identify the server"; return 0
  fi
  now="$(start_time_of "$REC_PID")"
  if [[ "$now" != "$REC_START" ]]; then
    echo "pid $REC_PID started at ${now:-?}, the recorded server at $REC_START (the pid was reused)"; return 0
  fi
  cmd="$(cmdline_of "$REC_PID")"
  if [[ "$cmd" != *"$MARKER"* || " $cmd " != *" --port $port "* ]]; then
    echo "pid $REC_PID's command line is not a sam3clip server on port $port"; return 0
  fi
  if [[ -d /proc ]]; then
    token="$(token_of "$REC_PID")"
    if [[ "$token" != "$REC_TOKEN" ]]; then
      echo "pid $REC_PID does not carry the instance token start.sh gave the server"; return 0
    fi
  fi
  return 1
}

stop_pid() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for (( i = 0; i < 50; i++ )); do
    is_alive "$pid" || return 0
    sleep 0.2
  done
  echo "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for (( i = 0; i < 25; i++ )); do
    is_alive "$pid" || return 0
    sleep 0.2
  done
  echo "pid $pid is still alive after SIGKILL" >&2
  return 1
}
