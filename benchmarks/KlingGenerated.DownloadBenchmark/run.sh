#!/usr/bin/env bash
# Measures KlingClient.DownloadResultToFileAsync against `curl -o` in the same run: one result (1 GiB by default,
# SIZE_MIB to change; a whole MP4: the simulator's sample clip padded with a top-level 'free' box) served from loopback by `python3 -m http.server`, each tool run ROUNDS times (default 3),
# alternating. Prints each run's wall time and peak RSS (from /usr/bin/time), the medians, and the time ratio.
# Needs: the .NET SDK, python3, curl, /usr/bin/time (Debian package `time`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size_mib=${SIZE_MIB:-1024}
rounds=${ROUNDS:-3}
. "$here/../lib.sh"
BENCH_INSTALL_HINT="install it (apt-get install -y python3 curl time)" bench_need python3 curl /usr/bin/time dotnet

work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "building the download program (Release)..."
dotnet build -c Release "$here/KlingGenerated.DownloadBenchmark.csproj" -o "$work/bin" -v quiet -nologo >/dev/null

mkdir -p "$work/serve" "$work/out"
echo "writing a ${size_mib} MiB MP4 (the simulator's sample clip and a 'free' box of random bytes)..."
# The download keeps only a whole MP4 (top-level boxes from ftyp that add up to the length, with moov and mdat).
python3 - "$here/../../src/KlingGenerated.Simulator/Assets/sample.mp4" "$work/serve/result.mp4" $((size_mib * 1024 * 1024)) <<'PY'
import struct, sys
sample, out, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(sample, "rb").read()
pad = max(total - len(data), 16)
with open(out, "wb") as f, open("/dev/urandom", "rb") as rand:
    f.write(data)
    f.write(struct.pack(">I4sQ", 1, b"free", pad))  # size 1: a 64-bit size follows
    left = pad - 16
    while left > 0:
        chunk = rand.read(min(left, 1 << 20))
        f.write(chunk)
        left -= len(chunk)
PY
port=$(bench_free_port)
(cd "$work/serve" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
url="http://127.0.0.1:$port/result.mp4"
for _ in $(seq 50); do curl -sf -o /dev/null -r 0-0 "$url" && break; sleep 0.1; done

measure() { # name, command...: prints "seconds kib"
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/$name.stdout"
  cat "$work/time.txt"
}

printf '%-6s %-6s %10s %14s\n' round tool seconds peak_rss_MiB
curl_times=(); kling_times=(); kling_rss=(); curl_rss=()
for round in $(seq "$rounds"); do
  read -r s k < <(measure curl curl -s -o "$work/out/curl.mp4" "$url")
  curl_times+=("$s"); curl_rss+=("$k")
  printf '%-6s %-6s %10s %14.1f\n' "$round" curl "$s" "$(echo "$k / 1024" | bc -l)"
  read -r s k < <(measure kling dotnet "$work/bin/KlingGenerated.DownloadBenchmark.dll" "$url" "$work/out/kling.mp4")
  kling_times+=("$s"); kling_rss+=("$k")
  printf '%-6s %-6s %10s %14.1f   (%s)\n' "$round" kling "$s" "$(echo "$k / 1024" | bc -l)" "$(cat "$work/kling.stdout")"
  cmp -s "$work/serve/result.mp4" "$work/out/kling.mp4" || { echo "the downloaded file differs from the served one" >&2; exit 1; }
  rm -f "$work/out/"*.mp4
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ct=$(median "${curl_times[@]}"); kt=$(median "${kling_times[@]}")
kr=$(median "${kling_rss[@]}"); cr=$(median "${curl_rss[@]}")
echo
echo "size: ${size_mib} MiB, rounds: $rounds"
printf 'median wall time: curl %s s, DownloadResultToFileAsync %s s (whole process, startup and fsync included); ratio %.2f\n' "$ct" "$kt" "$(echo "$kt / $ct" | bc -l)"
printf 'median peak RSS: curl %.1f MiB, DownloadResultToFileAsync %.1f MiB\n' "$(echo "$cr / 1024" | bc -l)" "$(echo "$kr / 1024" | bc -l)"
