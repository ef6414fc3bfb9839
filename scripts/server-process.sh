# Shared by start.sh and stop.sh: recognising and stopping the server process they started.
# Expects MARKER (the text our server's command line carries) to be set by the caller.

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

# A recycled pid may now belong to anything; only a live process whose command line carries the
# marker is one this script started.
is_our_server() {
  local pid="$1" cmd
  is_alive "$pid" || return 1
  cmd="$(cmdline_of "$pid")"
  [[ -n "$cmd" && "$cmd" == *"$MARKER"* ]]
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
