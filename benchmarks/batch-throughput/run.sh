#!/usr/bin/env bash
# Throughput of `kling batch` at the service's real limit (20 createTasks per 10 s), from a cold start, taking the
# standalone simulator's own task list (GET /_simulator/tasks, exact accept times) as the truth.
#
#   benchmarks/batch-throughput/run.sh [CHECKOUT]     (CHECKOUT: a clone to measure, default this one)
#   LINES=100 LIMIT=20 WINDOW_MS=10000 ROUNDS=1 benchmarks/batch-throughput/run.sh
#   KLING_DLL=.../kling.dll SIMULATOR_DLL=.../KlingGenerated.Simulator.dll benchmarks/batch-throughput/run.sh   (builds you already have)
#
# Builds the CLI and the simulator of CHECKOUT (Release) into a temporary folder, then, ROUNDS times: starts a fresh
# simulator on loopback (port 0), writes LINES JSON lines, runs `kling batch` on them (its own ledger and --out in the
# temporary folder) and reads the simulator's task list. Prints the created tasks, the 429s the simulator answered,
# the most creates in any window, and the sustained throughput: (created - LIMIT) / (last accept - first accept),
# over LIMIT / WINDOW (the first window's burst is free, so it is left out), plus the overall rate counting it.
# Needs: the .NET SDK, curl, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "${1:-$here/../..}" && pwd)
lines=${LINES:-100}
limit=${LIMIT:-20}
window_ms=${WINDOW_MS:-10000}
rounds=${ROUNDS:-1}
for tool in curl python3 dotnet; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

work=$(mktemp -d)
sim=
cleanup() { [ -n "$sim" ] && kill "$sim" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "commit: $(git -C "$checkout" rev-parse --short HEAD) ($checkout)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores, $(uname -sr); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
kling=${KLING_DLL:-}
simdll=${SIMULATOR_DLL:-}
if [ -z "$kling" ] || [ -z "$simdll" ]; then
  echo "building the CLI and the simulator (Release)..."
  dotnet build -c Release "$checkout/src/KlingGenerated.Cli" -o "$work/cli" -v quiet -nologo
  dotnet build -c Release "$checkout/src/KlingGenerated.Simulator" -o "$work/sim" -v quiet -nologo
  kling="$work/cli/kling.dll"; simdll="$work/sim/KlingGenerated.Simulator.dll"
else
  echo "using the builds given: $kling, $simdll"
fi

for round in $(seq "$rounds"); do
  run="$work/run$round"
  mkdir -p "$run/home"
  : > "$run/sim.out"
  dotnet "$simdll" --urls http://127.0.0.1:0 --rate-limit "$limit" --rate-limit-window-ms "$window_ms" \
    --credits 100000000 --waiting-ms 100 --queuing-ms 100 --generating-ms 300 > "$run/sim.out" 2>&1 &
  sim=$!
  url=
  for _ in $(seq 300); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$run/sim.out" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the simulator did not start:" >&2; cat "$run/sim.out" >&2; exit 1; }
  python3 -c "import json; [print(json.dumps({'id': f'b{i}', 'prompt': f'Throughput clip {i}'})) for i in range(1, $lines + 1)]" > "$run/lines.jsonl"
  set +e
  HOME="$run/home" KLING_LEDGER="$run/tasks.db" KIE_API_KEY=simulator-key \
    dotnet "$kling" batch "$run/lines.jsonl" --out "$run/out" --base-url "$url" --json \
    --rate-limit "$limit" --rate-window "$(python3 -c "print($window_ms / 1000)")" > "$run/batch.json" 2> "$run/batch.err"
  code=$?
  set -e
  curl -sf -H 'Authorization: Bearer simulator-key' "${url}_simulator/tasks" > "$run/tasks.json"
  kill "$sim"; wait "$sim" 2>/dev/null || true; sim=
  python3 - "$run/tasks.json" "$limit" "$window_ms" "$code" "$round" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); limit = int(sys.argv[2]); window = int(sys.argv[3]) / 1000
times = sorted(t["acceptedAtUnixNanoseconds"] / 1e9 for t in doc["tasks"])
span = times[-1] - times[0]
most = max(sum(1 for u in times if t <= u < t + window) for t in times)
sustained = (len(times) - limit) / span * window / limit
overall = (len(times) - 1) / span * window / limit
print(f"round {sys.argv[5]}: kling batch exit {sys.argv[4]}; {len(times)} tasks created over {span:.2f} s (simulator accept times); "
      f"{doc['rateLimited']} createTasks answered 429; most creates in any {window:g} s window: {most} / {limit}")
print(f"round {sys.argv[5]}: throughput sustained {sustained * 100:.1f} % of the limit (after the first window's burst), {overall * 100:.1f} % counting the burst")
PY
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
