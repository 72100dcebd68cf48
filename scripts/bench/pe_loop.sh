#!/usr/bin/env bash
# The PE in a tight C++ loop (pe_loop.cpp): how fast Verilator's model of the emitted Verilog
# runs, without Rust or the harness, and where its instructions go.
#
#   scripts/bench/pe_loop.sh [-v eyeriss_pe.v] [-f "VERILATOR FLAGS"] [-m "MAKE FLAGS"]
#                            [-n CYCLES] [-r RUNS] [-c CALLGRIND_CYCLES] [-d DIR]
#
#   -v  the Verilog (default: emitted now from this tree, `cargo run -p edgertl-hdl --example emit`)
#   -f  Verilator's flags (default: the harness's, sim/build.rs's VERILATOR_ARGS without
#       the build options: "-O3 --x-assign fast --x-initial fast -CFLAGS -fPIC")
#   -m  make's variables (default: the harness's RTL_MAKEFLAGS, "OPT_FAST=-O2")
#   -p  the flags proposed for the harness instead (PROPOSED_FLAGS, PROPOSED_MAKE_FLAGS below)
#   -n  cycles to record and replay (default 2000000); -r replays, best taken (default 3)
#   -c  also run callgrind over that many cycles (0: skip; default 200000) and print the
#       instructions per cycle of the replay, and per function
#   -d  build directory (default: a fresh one under /tmp)
#
# Prints the outputs' hash: two Verilog versions with the same hash behaved identically on
# the stimulus, cycle by cycle.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
verilog="" flags="-O3 --x-assign fast --x-initial fast -CFLAGS -fPIC" make_flags="OPT_FAST=-O2"
# Proposed for sim/build.rs: -fPIC alone makes every call into the model and Verilator's runtime
# go through the PLT and costs about 95 instructions a cycle (8%); -fno-semantic-interposition
# gives them back and keeps the code position independent.
PROPOSED_FLAGS="-O3 --x-assign fast --x-initial fast -CFLAGS -fPIC -CFLAGS -fno-semantic-interposition"
PROPOSED_MAKE_FLAGS="OPT_FAST=-O2"
cycles=2000000 runs=3 cg_cycles=200000 dir=""
while getopts "v:f:m:n:r:c:d:p" o; do
    case "$o" in
    p) flags="$PROPOSED_FLAGS" make_flags="$PROPOSED_MAKE_FLAGS" ;;
    v) verilog="$OPTARG" ;;
    f) flags="$OPTARG" ;;
    m) make_flags="$OPTARG" ;;
    n) cycles="$OPTARG" ;;
    r) runs="$OPTARG" ;;
    c) cg_cycles="$OPTARG" ;;
    d) dir="$OPTARG" ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
    esac
done
[ -n "$dir" ] || dir="$(mktemp -d /tmp/pe_loop.XXXXXX)"
mkdir -p "$dir"
if [ -z "$verilog" ]; then
    verilog="$dir/eyeriss_pe.v"
    (cd "$root" && cargo run --release -q -p edgertl-hdl --example emit -- eyeriss_pe >"$verilog")
fi
# shellcheck disable=SC2086 # the flags are words on purpose
verilator --cc --exe --build -j 2 $flags --prefix Vpe --top-module eyeriss_pe -Mdir "$dir/obj" \
    -MAKEFLAGS "$make_flags OPT_GLOBAL=-O2" -CFLAGS "-std=c++17 -g" "$verilog" "$here/pe_loop.cpp" \
    -o pe_loop >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; exit 1; }
echo "verilog: $verilog"
echo "flags:   $flags | $make_flags"
"$dir/obj/pe_loop" "$cycles" "$runs"
if [ "$cg_cycles" -gt 0 ]; then
    valgrind --tool=callgrind --toggle-collect='*replay*' --callgrind-out-file="$dir/callgrind.out" \
        "$dir/obj/pe_loop" "$cg_cycles" 1 >"$dir/callgrind.log" 2>&1
    total=$(callgrind_annotate "$dir/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    real_cycles=$(grep -o 'cycles [0-9]*' "$dir/callgrind.log" | awk '{ print $2 }')
    echo "callgrind: $total instructions over $real_cycles cycles: $((total / real_cycles)) a cycle"
    # Per function, exclusive: Verilator's model (V*___024root__*), its runtime, the loop.
    callgrind_annotate --inclusive=no --auto=no "$dir/callgrind.out" 2>/dev/null |
        awk -v n="$real_cycles" '/^ *[0-9,]+ \(.*\) +[^ ]+:[^ ]+/ && !/PROGRAM TOTALS/ {
            x = $1; gsub(",", "", x); f = $0; sub(/^[^)]*\) +/, "", f); sub(/ \[.*$/, "", f); sub(/^.*\//, "", f)
            if (x / n >= 1) printf "  %7.1f /cycle  %s\n", x / n, f }' | head -20
fi
echo "build dir: $dir"
