#!/usr/bin/env bash
# The benchmark smoke job: runs every benchmark program once with tiny sizes, so none of them rots unseen, and the
# allocation guard (bytes per call against the hand-written floor; exact, so asserted; time is never asserted).
# Prints "CHECK PASS name" or "CHECK FAIL name: why" per program or mode (.ci/run counts them) and exits 1 if one failed.
# Usage: scripts/benchmark-smoke.sh   (from anywhere; about 3-5 minutes on 2 cores, most of it Release builds)
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
logs=$(mktemp -d)
failed=0

check() { # name, command...: runs it with a log, prints CHECK PASS/FAIL and the log's tail on failure
  local name=$1; shift
  local log="$logs/${name//[^A-Za-z0-9_-]/_}.log"
  local started=$SECONDS
  if "$@" >"$log" 2>&1; then
    echo "CHECK PASS benchmark $name ($((SECONDS - started)) s)"
  else
    echo "CHECK FAIL benchmark $name: exit $? after $((SECONDS - started)) s; last lines:"
    tail -n 15 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

bench=benchmarks/KlingGenerated.Benchmarks
out="$logs/bench-bin"
check "KlingGenerated.Benchmarks build (Release)" dotnet build -c Release "$bench" -o "$out" -v quiet -nologo
run() { dotnet "$out/KlingGenerated.Benchmarks.dll" "$@"; }
check "allocations --check (the allocation guard)" run allocations --check
check "quick" run quick
check "ratios" run ratios
check "ledger 10 5 1" run ledger 10 5 1
check "load 20" run load 20
check "simulator-memory 200" run simulator-memory 200
# BenchmarkDotNet itself, one iteration of each benchmark (its Dry job), so the [Benchmark] methods still run.
# It builds its own project beside the benchmark's, and exits 0 even when a benchmark fails: read its summary.
bdn_dry() {
  local log="$logs/bdn.txt"
  dotnet run -c Release --project "$bench" -- --filter '*' --job Dry --artifacts "$logs/bdn" >"$log" 2>&1
  cat "$log"
  grep -Eq 'executed benchmarks: [1-9]' "$log" && ! grep -q 'Benchmarks with issues' "$log"
}
check "BenchmarkDotNet --job Dry" bdn_dry
check "KlingGenerated.SimulatorBenchmark --tasks 10 --creates 5" dotnet run -c Release --project benchmarks/KlingGenerated.SimulatorBenchmark -- --tasks 10 --creates 5
check "KlingGenerated.Redis.ScaleOut 8" dotnet run -c Release --project benchmarks/KlingGenerated.Redis.ScaleOut -- 8
check "KlingGenerated.DownloadBenchmark/run.sh SIZE_MIB=2 ROUNDS=1" env SIZE_MIB=2 ROUNDS=1 bash benchmarks/KlingGenerated.DownloadBenchmark/run.sh
check "batch-throughput/run.sh LINES=10 LIMIT=5 WINDOW_MS=1000" env LINES=10 LIMIT=5 WINDOW_MS=1000 ROUNDS=1 bash benchmarks/batch-throughput/run.sh

grep -h '^allocations ' "$logs"/*allocations*.log 2>/dev/null
rm -rf "$logs"
[ "$failed" -eq 0 ]
