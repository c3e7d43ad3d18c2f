# Sourced by the benchmarks' run.sh scripts, so they check tools, build, start the standalone simulator and read its
# task list one way instead of each keeping a copy.
#   . "$(dirname "$0")/../lib.sh"; bench_start curl python3 dotnet     (after `set -euo pipefail` and $checkout is set)
# Globals it sets: work (a temporary folder, removed at exit), sim (the running simulator's process id, empty when none),
# url (its base URL, ending in /), kling and simdll (the CLI's and the simulator's dll, from bench_build).

sim=
url=

bench_start() { # tool...: checks the tools, makes $work, prints the header and builds; at exit runs bench_on_exit
  # (when the script defines one), stops the simulator and removes $work
  bench_need "$@"
  work=$(mktemp -d)
  trap bench_cleanup EXIT
  bench_header
  bench_build
}

bench_cleanup() { # the EXIT trap bench_start sets
  if declare -F bench_on_exit >/dev/null; then bench_on_exit || true; fi
  bench_stop_sim
  rm -rf "$work"
}

bench_need() { # tool...: exits 1 naming the first one missing from PATH (and $BENCH_INSTALL_HINT when set)
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool${BENCH_INSTALL_HINT:+: $BENCH_INSTALL_HINT}" >&2; exit 1; }
  done
}

bench_header() { # prints the commit measured ($checkout), the date, the machine and its load
  echo "commit: $(git -C "$checkout" rev-parse --short HEAD) ($checkout)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores, $(uname -sr); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_build() { # sets kling and simdll: KLING_DLL and SIMULATOR_DLL when both are given, else Release builds of $checkout in $work
  kling=${KLING_DLL:-}
  simdll=${SIMULATOR_DLL:-}
  if [ -n "$kling" ] && [ -n "$simdll" ]; then
    echo "using the builds given: $kling, $simdll"
    return 0
  fi
  echo "building the CLI and the simulator (Release)..."
  local project
  for project in KlingGenerated.Cli:cli KlingGenerated.Simulator:sim; do
    dotnet build -c Release "$checkout/src/${project%%:*}" -o "$work/${project##*:}" -v quiet -nologo > "$work/build.log" 2>&1 \
      || { echo "building ${project%%:*} failed:" >&2; cat "$work/build.log" >&2; exit 1; }
  done
  kling="$work/cli/kling.dll"
  simdll="$work/sim/KlingGenerated.Simulator.dll"
}

bench_start_sim() { # log-file simulator-argument...: starts $simdll in the background on a free loopback port, tasks
  # moving through their states in half a second; sets sim and url once it prints its URL (60 s at the most, else exits 1)
  local log=$1 _
  shift
  : > "$log"
  dotnet "$simdll" --urls http://127.0.0.1:0 --waiting-ms 100 --queuing-ms 100 --generating-ms 300 "$@" > "$log" 2>&1 &
  sim=$!
  url=
  for _ in $(seq 600); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$log" | head -1 || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "the simulator did not start:" >&2
  cat "$log" >&2
  exit 1
}

bench_stop_sim() { # stops the simulator bench_start_sim started, if any
  [ -n "$sim" ] || return 0
  kill "$sim" 2>/dev/null || true
  wait "$sim" 2>/dev/null || true
  sim=
}

bench_sim_tasks() { # prints the simulator's own task list (GET /_simulator/tasks, JSON): the truth of what was created
  curl -sf -H 'Authorization: Bearer simulator-key' "${url}_simulator/tasks"
}

bench_free_port() { # prints a TCP port free on 127.0.0.1 now
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
