#!/usr/bin/env bash
# Outside-in checks (issue 10): what a user gets from the packages, proved from outside the solution.
# Prints one line per check, "CHECK PASS <name>" or "CHECK FAIL <name>: <why>"; .ci/run counts them.
#   1. pack everything into a local folder feed, with no warning;
#   2. a fresh console project in a temp dir adds KlingGenerated from that feed (`dotnet add package`);
#   3. the README's quick start, extracted verbatim, compiles in it and runs against the packaged simulator (`kling simulator`);
#   4. the package ships the exact OpenAPI document and tells the consumer's build where it is;
#   5. a fresh xunit project compiles and passes the Simulator package README's fixture, verbatim;
#   6. `dotnet tool install --tool-path` installs the kling tool from the feed, and `kling generate` offline writes a valid MP4;
#   7. the single-file simulator binary (scripts/publish-simulator.sh) starts, takes every flag of `kling simulator`,
#      names the SHA-256 of openapi/kling.openapi.yaml in GET /_simulator/health (the simulator branch's control endpoints),
#      and serves a createTask / recordInfo / download round trip to curl.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d /tmp/kling-outside-in.XXXXXX)
feed="$work/feed"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

pass() { echo "CHECK PASS $1"; }
fail() { echo "CHECK FAIL $1: $2"; }
section() { echo; echo "== outside-in: $1"; }

# The URL a simulator prints ("... listening on http://127.0.0.1:PORT/ ..."), waiting up to 60 s for it.
listening_url() {
  local log=$1 pid=$2 url=""
  for _ in $(seq 1 600); do
    url=$(grep -o 'listening on http://[^ ]*' "$log" 2>/dev/null | head -1 | awk '{print $3}')
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# A valid MP4: ffprobe finds an H.264 video stream with a positive duration and ffmpeg decodes every packet without
# an error (a truncated file fails); without ffmpeg, at least an ftyp box.
valid_mp4() {
  local file=$1
  [ -s "$file" ] || return 1
  if command -v ffprobe >/dev/null 2>&1 && command -v ffmpeg >/dev/null 2>&1; then
    local probe errors
    probe=$(ffprobe -v error -show_entries stream=codec_type,codec_name:format=duration -of default=nw=1 "$file") || return 1
    echo "$probe" | grep -q '^codec_name=h264$' && echo "$probe" | grep -Eq '^duration=0*[1-9]|^duration=0\.[0-9]*[1-9]' || return 1
    errors=$(ffmpeg -nostdin -v error -xerror -i "$file" -f null - 2>&1) && [ -z "$errors" ]
  else
    [ "$(dd if="$file" bs=1 skip=4 count=4 2>/dev/null)" = "ftyp" ]
  fi
}

# ffmpeg checks the videos that come out; install it when missing (else only the MP4 header is checked).
if ! command -v ffprobe >/dev/null 2>&1 || ! command -v ffmpeg >/dev/null 2>&1; then
  echo "Installing ffmpeg to check the videos..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg) >/dev/null 2>&1 \
    || echo "warning: could not install ffmpeg; checking only the MP4 header"
fi

cat > "$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="kling-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="kling-local"><package pattern="KlingGenerated" /><package pattern="KlingGenerated.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
EOF

# 1. Pack ------------------------------------------------------------------------------------------------------------
section "pack everything into a local folder feed"
if dotnet pack KlingGenerated.sln -c Release -o "$feed" >"$work/pack.log" 2>&1; then
  warnings=$(grep -E ': warning [A-Z]+[0-9]+' "$work/pack.log" | sort -u)
  packages=$(cd "$feed" && ls -1 *.nupkg 2>/dev/null | tr '\n' ' ')
  echo "packages: $packages"
  (cd "$feed" && ls -l *.nupkg *.snupkg 2>/dev/null | awk '{print "  " $5 " bytes  " $9}')
  if [ -n "$warnings" ]; then
    echo "$warnings"
    fail "dotnet pack prints no warnings" "$(echo "$warnings" | wc -l) warning(s) above"
  else
    pass "dotnet pack prints no warnings"
  fi
  missing=""
  # KlingGenerated.Cli is the tool's pointer package (no code, so no symbols); its code is in .linux-x64 and .any.
  for id in KlingGenerated KlingGenerated.Simulator KlingGenerated.Cli KlingGenerated.Cli.linux-x64 KlingGenerated.Cli.any; do
    ls "$feed/$id".[0-9]*.nupkg >/dev/null 2>&1 || missing="$missing $id"
    [ "$id" = KlingGenerated.Cli ] || ls "$feed/$id".[0-9]*.snupkg >/dev/null 2>&1 || missing="$missing $id.snupkg"
    for entry in README.md LICENSE; do
      # A zip keeps entry names in plain text, so grep finds them without unzip.
      LC_ALL=C grep -aq -- "$entry" "$feed/$id".[0-9]*.nupkg 2>/dev/null || missing="$missing $id:$entry"
    done
  done
  [ -z "$missing" ] && pass "every package has a symbols package, a README and the LICENSE" \
    || fail "every package has a symbols package, a README and the LICENSE" "missing:$missing"
else
  tail -30 "$work/pack.log"
  fail "dotnet pack prints no warnings" "dotnet pack failed (log above)"
fi

# From here on, a packages folder of its own: a package restored by an earlier run never stands in for the one just packed.
export NUGET_PACKAGES="$work/packages"

# 2. The kling tool from the feed, and the packaged simulator it carries ----------------------------------------------------
section "dotnet tool install --tool-path from the feed"
tools="$work/tools"
if (cd "$work" && timeout 300 dotnet tool install --tool-path "$tools" KlingGenerated.Cli --configfile "$work/nuget.config") >"$work/tool.log" 2>&1 \
  && "$tools/kling" --help >/dev/null 2>&1; then
  pass "the kling tool installs from the feed and runs"
  # On linux-x64 the pointer package must resolve to the ReadyToRun package.
  if [ "$(uname -m)" = x86_64 ]; then
    ls -d "$tools"/.store/klinggenerated.cli/*/klinggenerated.cli.linux-x64 >/dev/null 2>&1 \
      && pass "dotnet tool install picks the ReadyToRun linux-x64 tool package" \
      || fail "dotnet tool install picks the ReadyToRun linux-x64 tool package" "$(ls "$tools"/.store/klinggenerated.cli/*/ 2>&1 | tr '\n' ' ')"
  fi
else
  cat "$work/tool.log"
  fail "the kling tool installs from the feed and runs" "see the log above"
fi

section "kling generate, offline, writes a valid MP4"
if [ -x "$tools/kling" ]; then
  video=$(cd "$work" && env -u KIE_API_KEY -u KIE_BASE_URL timeout 300 "$tools/kling" generate "A paper boat drifting down a rain-soaked street at dusk" --out "$work/videos" 2>"$work/generate.err")
  code=$?
  echo "kling generate exited $code and printed: $video"
  if [ "$code" -eq 0 ] && valid_mp4 "$video"; then
    pass "kling generate (installed tool, offline) writes a valid MP4"
  else
    cat "$work/generate.err"
    fail "kling generate (installed tool, offline) writes a valid MP4" "exit $code, file '$video'"
  fi
else
  fail "kling generate (installed tool, offline) writes a valid MP4" "the tool is not installed"
fi

# 3. A consumer project outside the solution -----------------------------------------------------------------------
section "a fresh console project adds KlingGenerated from the feed"
consumer="$work/consumer"
mkdir -p "$consumer"
cp "$work/nuget.config" "$consumer/nuget.config"
if (cd "$consumer" && dotnet new console -n Consumer -o . >/dev/null && timeout 300 dotnet add package KlingGenerated) >"$work/consumer.log" 2>&1; then
  pass "dotnet add package KlingGenerated from the feed"
else
  cat "$work/consumer.log"
  fail "dotnet add package KlingGenerated from the feed" "see the log above"
fi

section "the package ships the OpenAPI document it was generated from"
doc=$(cd "$consumer" && dotnet msbuild -getProperty:KlingGeneratedOpenApiDocument 2>/dev/null | tr -d '\r')
echo "\$(KlingGeneratedOpenApiDocument) = $doc"
if [ -n "$doc" ] && [ -f "$doc" ] && [ "$(sha256sum < "$doc")" = "$(sha256sum < "$repo/openapi/kling.openapi.yaml")" ]; then
  pass "the consumer's build finds the exact OpenAPI document in the package"
else
  fail "the consumer's build finds the exact OpenAPI document in the package" "'$doc' is missing or differs from openapi/kling.openapi.yaml"
fi

section "the README's quick start, verbatim, against the packaged simulator"
# The C# block after <!-- snippet: QuickStart -->, exactly as README.md has it.
awk '/<!-- snippet: QuickStart -->/ {found=1; next} found && /^```csharp/ {inside=1; next} inside && /^```/ {exit} inside {print}' \
  README.md > "$consumer/Program.cs"
echo "Program.cs: $(wc -l < "$consumer/Program.cs") lines from README.md"
sim_pid=""
if [ -x "$tools/kling" ]; then
  "$tools/kling" simulator --urls http://127.0.0.1:0 >"$work/simulator.log" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
fi
sim_url=""
[ -n "$sim_pid" ] && sim_url=$(listening_url "$work/simulator.log" "$sim_pid")
if [ ! -s "$consumer/Program.cs" ]; then
  fail "the README quick start compiles verbatim and runs against the packaged simulator" "no QuickStart snippet in README.md"
elif ! (cd "$consumer" && dotnet build -warnaserror >"$work/consumer-build.log" 2>&1); then
  grep -E 'error|warning' "$work/consumer-build.log" | sort -u
  fail "the README quick start compiles verbatim and runs against the packaged simulator" "it does not compile (above)"
elif [ -z "$sim_url" ]; then
  cat "$work/simulator.log"
  fail "the README quick start compiles verbatim and runs against the packaged simulator" "kling simulator did not start"
else
  printed=$(cd "$consumer" && KIE_API_KEY=simulator-key KIE_BASE_URL="$sim_url" timeout 120 dotnet run --no-build 2>"$work/consumer-run.err")
  code=$?
  echo "the quick start exited $code and printed: $printed"
  # It prints the created task's id first (kept whatever happens next), then the video's URL on the last line.
  video_url=$(printf '%s\n' "$printed" | tail -n 1)
  if [ "$code" -eq 0 ] && [[ "$(printf '%s\n' "$printed" | head -n 1)" == "Created task "* ]] && [[ "$video_url" == "$sim_url"*.mp4 ]] \
     && curl -sf --max-time 30 -o "$work/quickstart.mp4" "$video_url" && valid_mp4 "$work/quickstart.mp4"; then
    pass "the README quick start compiles verbatim and runs against the packaged simulator"
  else
    cat "$work/consumer-run.err"
    fail "the README quick start compiles verbatim and runs against the packaged simulator" "exit $code, printed '$printed'"
  fi
fi
[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null

section "the Simulator package README's xunit fixture, verbatim, in a fresh test project"
fixture="$work/fixture"
mkdir -p "$fixture"
cp "$work/nuget.config" "$fixture/nuget.config"
# The test packages at the versions this repository pins.
pin() { sed -n "s/.*PackageVersion Include=\"$1\" Version=\"\([^\"]*\)\".*/\1/p" "$repo/Directory.Packages.props"; }
cat > "$fixture/Fixture.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <IsPackable>false</IsPackable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="$(pin Microsoft.NET.Test.Sdk)" />
    <PackageReference Include="xunit" Version="$(pin xunit)" />
    <PackageReference Include="xunit.runner.visualstudio" Version="$(pin xunit.runner.visualstudio)" />
  </ItemGroup>
</Project>
EOF
awk '/^## An xunit fixture/ {found=1; next} found && /^```csharp/ {inside=1; next} inside && /^```/ {exit} inside {print}' \
  src/KlingGenerated.Simulator/README.md > "$fixture/VideoTests.cs"
if [ -s "$fixture/VideoTests.cs" ] \
  && (cd "$fixture" && timeout 300 dotnet add package KlingGenerated.Simulator && timeout 300 dotnet add package KlingGenerated) >"$work/fixture.log" 2>&1 \
  && (cd "$fixture" && timeout 600 dotnet test -warnaserror) >>"$work/fixture.log" 2>&1 \
  && grep -Eq 'Passed! +- Failed: +0, Passed: +[1-9]' "$work/fixture.log"; then
  grep -E 'Passed!' "$work/fixture.log"
  pass "the Simulator package README's xunit fixture compiles and passes"
else
  tail -40 "$work/fixture.log"
  fail "the Simulator package README's xunit fixture compiles and passes" "see the log above"
fi

# 4. The single-file simulator binary --------------------------------------------------------------------------------
section "the single-file simulator binary"
binary="$work/simulator/kling-simulator"
if scripts/publish-simulator.sh "$work/simulator" >"$work/publish.log" 2>&1 && [ -x "$binary" ]; then
  echo "$(tail -1 "$work/publish.log")"
  files=$(find "$work/simulator" -type f | wc -l)
  [ "$files" -eq 1 ] && pass "scripts/publish-simulator.sh makes one self-contained file" \
    || fail "scripts/publish-simulator.sh makes one self-contained file" "$files files in $work/simulator"
else
  cat "$work/publish.log"
  fail "scripts/publish-simulator.sh makes one self-contained file" "publish failed (log above)"
fi

if [ -x "$binary" ] && [ -x "$tools/kling" ]; then
  # Every flag of `kling simulator`, except the kling-wide ones, is one the binary takes too.
  # Option names are the first column of a help laid out one option a line (descriptions may mention other flags);
  # a one-line usage gives all its flags.
  flags() {
    local text
    text=$(cat)
    if echo "$text" | grep -qE -- '^ +(-[^ ,]+, )*--[a-z]'; then
      echo "$text" | grep -oE -- '^ +(-[^ ,]+, )*--[a-z][a-z0-9-]+' | grep -oE -- '--[a-z][a-z0-9-]+$' | sort -u
    else
      echo "$text" | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u
    fi
  }
  kling_flags=$("$tools/kling" simulator --help | flags | grep -vxE -- '--(help|base-url|json|verbose)')
  binary_flags=$("$binary" --help | flags)
  missing=$(comm -23 <(echo "$kling_flags") <(echo "$binary_flags") | tr '\n' ' ')
  [ -z "${missing// /}" ] && pass "the binary takes the flags of kling simulator" \
    || fail "the binary takes the flags of kling simulator" "it lacks $missing"
fi

if [ -x "$binary" ]; then
  # Started as a user without .NET would: no DOTNET_ROOT, nothing on PATH but the basics.
  env -i PATH=/usr/bin:/bin HOME="$work" "$binary" --urls http://127.0.0.1:0 >"$work/binary.log" 2>&1 &
  bin_pid=$!
  pids+=("$bin_pid")
  url=$(listening_url "$work/binary.log" "$bin_pid")
  auth=(-H 'Authorization: Bearer simulator-key')
  ok=""
  if [ -n "$url" ]; then
    # The body is the document's first createTask example without a callback (its model and input): no model id is
    # typed here, so a model renamed or added in the document needs no edit of this script.
    body=$(/usr/bin/python3 - "$repo/openapi/kling.openapi.yaml" <<'PY'
import json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node
examples = doc["paths"]["/api/v1/jobs/createTask"]["post"]["requestBody"]["content"]["application/json"]["examples"]
value = next(v for v in (resolve(e)["value"] for e in examples.values()) if "callBackUrl" not in v)
print(json.dumps({"model": value["model"], "input": value["input"]}))
PY
)
    echo "createTask body (from the document's examples): $body"
    created=$(curl -sf --max-time 10 "${auth[@]}" -H 'Content-Type: application/json' -X POST "${url}api/v1/jobs/createTask" -d "$body")
    echo "createTask: $created"
    task=$(echo "$created" | sed -n 's/.*"taskId":"\([A-Za-z0-9_.-]*\)".*/\1/p')
    record=""
    for _ in $(seq 1 60); do
      [ -n "$task" ] || break
      record=$(curl -sf --max-time 10 "${auth[@]}" "${url}api/v1/jobs/recordInfo?taskId=$task")
      echo "$record" | grep -q '"state":"success"' && break
      sleep 0.5
    done
    echo "recordInfo: $record"
    result=$(echo "$record" | grep -o 'http://[^"\\]*\.mp4' | head -1)
    # The service's download step: POST the result URL to download-url, then fetch the link it answers.
    link=""
    [ -n "$result" ] && link=$(curl -sf --max-time 10 "${auth[@]}" -H 'Content-Type: application/json' -X POST \
      "${url}api/v1/common/download-url" -d "{\"url\":\"$result\"}" | sed -n 's/.*"data":"\(http[^"]*\)".*/\1/p')
    echo "download-url: $link"
    if [ -n "$link" ] && curl -sf --max-time 30 -o "$work/roundtrip.mp4" "$link" && valid_mp4 "$work/roundtrip.mp4"; then
      ok=yes
      echo "download: $(stat -c %s "$work/roundtrip.mp4") bytes from $link"
    fi
  else
    cat "$work/binary.log"
  fi
  [ -n "$ok" ] && pass "the single-file simulator serves createTask, recordInfo, download-url and the video to curl" \
    || fail "the single-file simulator serves createTask, recordInfo, download-url and the video to curl" "see the output above"
  # It says which contract it serves: /_simulator/health carries the SHA-256 of openapi/kling.openapi.yaml.
  health=""
  [ -n "$url" ] && health=$(curl -sf --max-time 10 "${auth[@]}" "${url}_simulator/health")
  echo "health: $health"
  spec_sha=$(sha256sum < openapi/kling.openapi.yaml | cut -d' ' -f1)
  echo "$health" | grep -q "\"specSha256\": *\"$spec_sha\"" \
    && pass "the single-file simulator's health names the SHA-256 of openapi/kling.openapi.yaml" \
    || fail "the single-file simulator's health names the SHA-256 of openapi/kling.openapi.yaml" "expected $spec_sha"
  kill "$bin_pid" 2>/dev/null
fi
