#!/usr/bin/env bash
# The simulator's create latency with N tasks stored: run.sh --tasks 1000 --creates 200, then --tasks 100000.
set -euo pipefail
cd "$(dirname "$0")"
dotnet run -c Release -- "$@"
