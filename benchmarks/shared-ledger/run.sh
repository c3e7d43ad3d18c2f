#!/usr/bin/env bash
# One batch shared by several `kling batch` workers: a PostgreSQL ledger, Redis pacing, the standalone simulator at the
# service's real limit (20 createTasks per 10 s). The simulator's own task list (GET /_simulator/tasks) is the truth.
#
#   benchmarks/shared-ledger/run.sh [CHECKOUT]          (CHECKOUT: a clone to measure, default this one)
#   KLING_DLL=... SIMULATOR_DLL=... benchmarks/shared-ledger/run.sh   (uses builds you already have)
#   WORKERS=4 LINES=200 SCENARIOS="plain kill restart" benchmarks/shared-ledger/run.sh
#
# Scenarios, each on a fresh PostgreSQL cluster (initdb + pg_ctl on loopback, as the postgres user when run as root),
# a fresh redis-server and a fresh simulator; every worker has its own folder and --out, sharing only the two servers:
#   plain    WORKERS workers over the same LINES-line file.
#   kill     the same, and kill -9 of one worker 20 s after the start and of another 40 s after it.
#   restart  the same, and `pg_ctl restart` 25 s after the start.
# Prints, per scenario: tasks created, duplicates (a line's prompt created twice), lines lost (neither a task nor an
# uncertain row), uncertain lines, 429s, the most creates in any window, and the sustained share of the limit.
# Needs: the .NET SDK, PostgreSQL (initdb, pg_ctl), redis-server, curl, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "${1:-$here/../..}" && pwd)
workers=${WORKERS:-4}
lines=${LINES:-200}
limit=${LIMIT:-20}
window_ms=${WINDOW_MS:-10000}
scenarios=${SCENARIOS:-plain kill restart}
pgbin=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
[ -x "$pgbin/pg_ctl" ] || { echo "PostgreSQL (initdb, pg_ctl) is missing: apt-get install -y postgresql" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgroot=
redis=
bench_on_exit() {
  [ -n "$redis" ] && kill "$redis" 2>/dev/null
  [ -n "$pgroot" ] && as_pg "$pgbin/pg_ctl" stop -m immediate -D "$pgroot/data" >/dev/null 2>&1
  jobs -p | xargs -r kill -9 2>/dev/null
  rm -rf "$pgroot"
}
. "$here/../lib.sh"
bench_start curl python3 dotnet redis-server
python3 -c "import json; [print(json.dumps({'prompt': f'Shared clip {i:03d}: a paper lantern, take {i}'})) for i in range(1, $lines + 1)]" > "$work/lines.jsonl"

for scenario in $scenarios; do
  run="$work/$scenario"
  mkdir -p "$run"
  # PostgreSQL: a new cluster owned by postgres, password-protected, on a free loopback port.
  pgroot=$(mktemp -d /tmp/kling-bench-pg.XXXXXX)
  pgport=$(bench_free_port)
  password=$(python3 -c 'import secrets; print(secrets.token_hex(8))')
  echo "$password" > "$pgroot/pw"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$pgroot"
  as_pg "$pgbin/initdb" -D "$pgroot/data" -U postgres --pwfile "$pgroot/pw" -A scram-sha-256 --no-sync >/dev/null
  as_pg "$pgbin/pg_ctl" start -w -D "$pgroot/data" -l "$pgroot/log" -o "-p $pgport -c listen_addresses=127.0.0.1 -k $pgroot" >/dev/null
  ledger="postgresql://postgres:$password@127.0.0.1:$pgport/postgres"
  redisport=$(bench_free_port)
  redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning > "$run/redis.out" 2>&1 &
  redis=$!
  bench_start_sim "$run/sim.out" --rate-limit "$limit" --rate-limit-window-ms "$window_ms" --credits 100000000

  pids=()
  start=$(date +%s.%N)
  for w in $(seq "$workers"); do
    mkdir -p "$run/w$w/home"
    (cd "$run/w$w" && HOME="$run/w$w/home" KIE_API_KEY=simulator-key dotnet "$kling" batch "$work/lines.jsonl" \
      --out out --ledger "$ledger" --redis "127.0.0.1:$redisport" --base-url "$url" --json \
      --rate-limit "$limit" --rate-window "$(python3 -c "print($window_ms / 1000)")" > batch.json 2> batch.err; echo $? > exit) &
    pids+=($!)
  done
  killed=""
  case "$scenario" in
    kill)
      # kill -9 of the worker process itself (the dotnet child of its subshell), by its id
      sleep 20; kill -9 $(pgrep -P "${pids[0]}") 2>/dev/null || true; killed="w1"
      sleep 20; kill -9 $(pgrep -P "${pids[1]}") 2>/dev/null || true; killed="w1 w2";;
    restart)
      sleep 25; as_pg "$pgbin/pg_ctl" restart -w -m fast -D "$pgroot/data" -l "$pgroot/log" -o "-p $pgport -c listen_addresses=127.0.0.1 -k $pgroot" >/dev/null
      echo "pg_ctl restart done at $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s";;
  esac
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  elapsed=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
  bench_sim_tasks > "$run/tasks.json"
  (cd "$run" && HOME="$run" dotnet "$kling" tasks --json --ledger "$ledger" > ledger.json 2> ledger.err) || true
  if grep -q "$password" "$run"/w*/batch.err "$run"/w*/batch.json "$run/ledger.err" 2>/dev/null; then echo "the password was printed!"; fi
  python3 - "$run" "$limit" "$window_ms" "$scenario" "$workers" "$lines" "$elapsed" "$killed" <<'PY'
import json, sys, os, collections
run, limit, window = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 1000
scenario, workers, lines, elapsed, killed = sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8].split()
doc = json.load(open(f"{run}/tasks.json"))
tasks = doc["tasks"]
prompts = collections.Counter(t["request"]["input"]["prompt"] for t in tasks)
duplicates = sum(n - 1 for n in prompts.values())
rows = json.load(open(f"{run}/ledger.json"))
ids = {r.get("taskId") for r in rows if r.get("taskId")}
uncertain = [r for r in rows if r.get("outcome") in ("uncertain", "sending")]
unknown = [t for t in tasks if t["taskId"] not in ids]
uncertain_prompts = [r["request"]["input"]["prompt"] for r in uncertain]
lost_tasks = sum(1 for t in unknown if not (t["request"]["input"]["prompt"] in uncertain_prompts and not uncertain_prompts.remove(t["request"]["input"]["prompt"])))
done_rows = [r for r in rows if r.get("state") == "success" and r.get("file")]
covered = {r["request"]["input"]["prompt"] for r in rows if r.get("taskId") or r.get("outcome") in ("uncertain", "sending")}
lost_lines = lines - len(covered)
times = sorted(t["acceptedAtUnixNanoseconds"] / 1e9 for t in tasks)
span = times[-1] - times[0] if len(times) > 1 else 0
most = max(sum(1 for u in times if t <= u < t + window) for t in times) if times else 0
sustained = (len(times) - limit) / span * window / limit if span > 0 else float("nan")
per_worker = {}
for w in range(1, workers + 1):
    path = f"{run}/w{w}/out"
    per_worker[f"w{w}"] = len(os.listdir(path)) if os.path.isdir(path) else 0
exits = {f"w{w}": open(f"{run}/w{w}/exit").read().strip() if os.path.exists(f"{run}/w{w}/exit") else "?" for w in range(1, workers + 1)}
print(f"[{scenario}] {workers} workers, {lines} lines, {elapsed} s: tasks created {len(tasks)}, duplicates {duplicates}, 429s {doc['rateLimited']}, "
      f"most creates in any {window:g} s window {most} / {limit}, sustained {sustained * 100:.1f} % of the limit")
print(f"[{scenario}] ledger rows {len(rows)}: done (downloaded) {len(done_rows)}, uncertain {len(uncertain)}; lost lines {lost_lines}; service tasks unknown to the ledger {lost_tasks}")
print(f"[{scenario}] videos per worker's --out {per_worker}; exit codes {exits}" + (f"; killed with -9: {' '.join(killed)}" if killed else ""))
for w in range(1, workers + 1):
    if exits[f"w{w}"] != "0" and f"w{w}" not in killed:
        tail = open(f"{run}/w{w}/batch.err", errors="replace").read().strip().splitlines()[-4:]
        print(f"[{scenario}] w{w} ended with exit {exits[f'w{w}']}; its last lines: " + " | ".join(tail))
PY
  bench_stop_sim
  kill "$redis" 2>/dev/null; wait "$redis" 2>/dev/null || true; redis=
  as_pg "$pgbin/pg_ctl" stop -m immediate -D "$pgroot/data" >/dev/null 2>&1 || true
  rm -rf "$pgroot"; pgroot=
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
