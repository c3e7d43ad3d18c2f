#!/usr/bin/env bash
# Builds the simulator as one self-contained file for linux-x64: a machine without .NET starts it with one command.
#   scripts/publish-simulator.sh [OUTPUT_DIR]        (default: out/simulator/linux-x64; out/ is not committed)
#   OUTPUT_DIR/kling-simulator --urls http://127.0.0.1:4010      (same flags as `kling simulator`; --help lists them)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/simulator/linux-x64}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Self-contained single file: the .NET and ASP.NET Core runtimes ride inside; native libraries are extracted on first
# start (IncludeNativeLibrariesForSelfExtract) so the folder holds one file. Not trimmed: Newtonsoft.Json and
# ASP.NET Core's minimal APIs use reflection.
dotnet publish src/KlingGenerated.Simulator -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=embedded \
  -o "$out.publish" -v quiet -nologo

# Keep only the binary, named for what it is (publish also copies documentation files).
mkdir -p "$out"
mv -f "$out.publish/KlingGenerated.Simulator" "$out/kling-simulator"
rm -rf "$out.publish"
echo "$out/kling-simulator ($(du -h "$out/kling-simulator" | cut -f1)): start it with $out/kling-simulator --urls http://127.0.0.1:4010"
