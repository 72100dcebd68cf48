#!/bin/sh
# Synthesizes an emitted unit for one FPGA family (no place and route) and prints Yosys's
# cell statistics of the flattened design: shows whether memories became block RAM.
#   scripts/yosys/infer_bram.sh build/rtl/glb.v glb ice40|ecp5|xilinx
# Block RAM cells: SB_RAM40_4K (ice40), DP16KD (ecp5), RAMB18E1 / RAMB36E1 (xilinx).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 FILE.v TOP ice40|ecp5|xilinx" >&2; exit 2; }
case "$3" in ice40|ecp5|xilinx) ;; *) echo "unknown family: $3" >&2; exit 2;; esac
exec yosys -q -p "read_verilog $1; hierarchy -top $2; flatten; synth_$3 -top $2; tee -o /dev/stdout stat"
