# Sourced by the scripts that install Weir's tools: where tools go (bin/), their version stamps
# (bin/.stamps/<tool>), a scratch folder, and a log line named after the script's $TOOL.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
BIN=${BIN:-$ROOT/bin}
STAMPS=$BIN/.stamps
SCRATCH=$BIN/.scratch
mkdir -p "$STAMPS" "$SCRATCH"

log() { printf '[%s %s] %s\n' "${TOOL:-tools}" "$(date +%H:%M:%S)" "$*"; }
stamp() { echo "$2" >"$STAMPS/$1"; }
