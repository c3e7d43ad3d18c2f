#!/usr/bin/env bash
# The spend gate's figures, measured against the standalone simulator (its own task list, GET /_simulator/tasks, is the
# truth of what was created and so paid):
#   1. budget: a 10-line batch under --max-credits 50, 100, 41, 1 and 0.001 on a simulator whose balance never drops
#      (--credits-per-task 0): tasks created (each line costs 42 by the document's x-kling-pricing).
#   2. claims: two batch files sharing 10 of their 12 distinct lines, started at the same moment on one ledger: tasks created.
#   3. kill -9: a 30-line batch killed with SIGKILL twice while it creates, then run again: lines left uncertain; then
#      run with --resubmit-uncertain: MP4s in --out.
#
#   benchmarks/spend-gate/run.sh [CHECKOUT]          (builds CHECKOUT's CLI and simulator, Release, into a temporary folder)
#   KLING_DLL=... SIMULATOR_DLL=... benchmarks/spend-gate/run.sh   (uses builds you already have)
# Needs: the .NET SDK, curl, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "${1:-$here/../..}" && pwd)
. "$here/../lib.sh"
bench_start curl python3 dotnet

created() { bench_sim_tasks | { grep -o '"acceptedAtUnixNanoseconds"' || true; } | wc -l; }
lines() { # prefix from to
  python3 -c "import json,sys; [print(json.dumps({'id': f'$1{i}', 'prompt': f'Spend gate clip $1{i}'})) for i in range($2, $3 + 1)]"
}
kling() { # run-folder args...
  local dir=$1; shift
  HOME="$dir/home" KLING_LEDGER="$dir/tasks.db" KIE_API_KEY=simulator-key dotnet "$kling" "$@" --base-url "$url"
}
kling_exec() { # the same, replacing the (background) subshell, so its $! is the CLI's own process id for kill -9
  local dir=$1; shift
  exec env HOME="$dir/home" KLING_LEDGER="$dir/tasks.db" KIE_API_KEY=simulator-key dotnet "$kling" "$@" --base-url "$url"
}

echo "== 1. budget: 10 lines of 42 credits each, the simulator's balance never drops =="
for cap in 50 100 41 1 0.001; do
  run="$work/cap-$cap"; mkdir -p "$run/home"
  bench_start_sim "$work/sim.out" --credits-per-task 0
  lines c 1 10 > "$run/lines.jsonl"
  set +e; kling "$run" batch "$run/lines.jsonl" --out "$run/out" --max-credits "$cap" --json > "$run/out.json" 2> "$run/err.txt"; code=$?; set -e
  n=$(created); bench_stop_sim
  echo "--max-credits $cap: $n task(s) created (cap's worth: $(python3 -c "print(int($cap // 42))")); exit $code"
  echo "  says: $(grep -E 'max-credits' "$run/err.txt" | tail -1 | cut -c1-400)"
done

echo "== 2. two files sharing 10 of 12 lines, started together on one ledger =="
run="$work/shared"; mkdir -p "$run/home"
bench_start_sim "$work/sim.out"
{ lines s 1 10; lines a 1 1; } > "$run/a.jsonl"
{ lines s 1 10; lines b 1 1; } > "$run/b.jsonl"
set +e
kling "$run" batch "$run/a.jsonl" --out "$run/out" --json > "$run/a.json" 2> "$run/a.err" & pa=$!
kling "$run" batch "$run/b.jsonl" --out "$run/out" --json > "$run/b.json" 2> "$run/b.err" & pb=$!
wait $pa; ca=$?; wait $pb; cb=$?
set -e
echo "tasks created: $(created) for 12 distinct lines (exits $ca and $cb); MP4s: $(ls "$run/out"/*.mp4 2>/dev/null | wc -l)"
bench_stop_sim

echo "== 3. kill -9 twice during a 30-line batch, then --resubmit-uncertain =="
run="$work/kill"; mkdir -p "$run/home"
bench_start_sim "$work/sim.out"
lines k 1 30 > "$run/lines.jsonl"
for at in 5 15; do
  kling_exec "$run" batch "$run/lines.jsonl" --out "$run/out" --json > "$run/kill-$at.json" 2> "$run/kill-$at.err" &
  pid=$!
  while [ "$(created)" -lt "$at" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
  kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  echo "killed the CLI (pid $pid) with SIGKILL once the simulator held $(created) task(s)"
done
set +e; kling "$run" batch "$run/lines.jsonl" --out "$run/out" --json > "$run/third.json" 2> "$run/third.err"; code=$?; set -e
python3 - "$run/third.json" "$code" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"run after the kills: exit {sys.argv[2]}; uncertain {s.get('uncertain')}, done {s.get('done')}, created {s.get('created')}")
PY
grep "Batch finished" "$run/third.err" | tail -1 | cut -c1-600 || true
set +e; kling "$run" batch "$run/lines.jsonl" --out "$run/out" --resubmit-uncertain --json > "$run/resubmit.json" 2> "$run/resubmit.err"; code=$?; set -e
echo "--resubmit-uncertain: exit $code; MP4s in --out: $(ls "$run/out"/*.mp4 2>/dev/null | wc -l); tasks the simulator created in all: $(created) for 30 lines"
bench_stop_sim
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
