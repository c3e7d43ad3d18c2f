#!/usr/bin/env bash
# Times the README's test command (`dotnet test KlingGenerated.sln`) from a built clone, and prints its wall time, the
# pass/fail summary and the ten slowest tests (from a trx log).
# Usage: scripts/time-tests.sh [--burners N] [--slowest N]
#   --burners N  also run N CPU burners (`yes > /dev/null`) during the test command, stopped after it (default 0)
#   --slowest N  how many of the slowest tests to list (default 10)
# The build runs first and is not timed (the figure is "from a built clone"); the test command's own up-to-date check is.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
burners=0
slowest=10
while [ $# -gt 0 ]; do
  case $1 in
    --burners) burners=$2; shift 2 ;;
    --slowest) slowest=$2; shift 2 ;;
    *) echo "usage: $0 [--burners N] [--slowest N]" >&2; exit 2 ;;
  esac
done

results=$(mktemp -d /tmp/kling-time-tests.XXXXXX)
echo "Building (not timed)..."
dotnet build KlingGenerated.sln -v quiet -nologo >"$results/build.log" 2>&1 || { tail -n 30 "$results/build.log"; exit 1; }

pids=()
stop_burners() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; pids=(); }
trap stop_burners EXIT
for _ in $(seq 1 "$burners"); do
  yes >/dev/null &
  pids+=($!)
done

echo "Running: dotnet test KlingGenerated.sln  (commit $(git rev-parse --short HEAD), $(nproc) cores, $burners CPU burner(s), load average $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s.%N)
dotnet test KlingGenerated.sln --logger trx --results-directory "$results" >"$results/test.log" 2>&1
status=$?
end=$(date +%s.%N)
stop_burners

grep -E '^(Passed|Failed)! ' "$results/test.log"
grep -E '^\s+Failed ' "$results/test.log"
printf 'wall time: %.1f s (exit %d), %s UTC, load average after: %s\n' "$(echo "$end - $start" | bc -l)" "$status" "$(date -u '+%Y-%m-%d %H:%M')" "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 scripts/slowest-tests.py "$slowest" "$results"/*.trx
echo "trx and logs: $results"
exit "$status"
