#!/usr/bin/env bash
# Builds the board top's bitstream: scripts/board/build.sh <icebreaker|hx8k> [-o DIR]
# Emits board_top with the board's preset, runs yosys synth_ice40, nextpnr-ice40 against
# constraints/<board>.pcf at the board clock, icepack and icetime; writes build/board/<board>.bin
# and build/board/<board>.report.txt (utilization, Fmax). Same as `edgertl board build`.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 <icebreaker|hx8k> [-o DIR]" >&2; exit 2; }
exec cargo run --release -q -p edgertl -- board build "$@"
