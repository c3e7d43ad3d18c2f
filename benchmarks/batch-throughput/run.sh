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
. "$here/../lib.sh"
bench_start curl python3 dotnet

for round in $(seq "$rounds"); do
  run="$work/run$round"
  mkdir -p "$run/home"
  bench_start_sim "$run/sim.out" --rate-limit "$limit" --rate-limit-window-ms "$window_ms" --credits 100000000
  python3 -c "import json; [print(json.dumps({'id': f'b{i}', 'prompt': f'Throughput clip {i}'})) for i in range(1, $lines + 1)]" > "$run/lines.jsonl"
  set +e
  HOME="$run/home" KLING_LEDGER="$run/tasks.db" KIE_API_KEY=simulator-key \
    dotnet "$kling" batch "$run/lines.jsonl" --out "$run/out" --base-url "$url" --json \
    --rate-limit "$limit" --rate-window "$(python3 -c "print($window_ms / 1000)")" > "$run/batch.json" 2> "$run/batch.err"
  code=$?
  set -e
  bench_sim_tasks > "$run/tasks.json"
  bench_stop_sim
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
