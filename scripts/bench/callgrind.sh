#!/usr/bin/env bash
# Instructions per cycle of the PE's co-simulation through the harness, counted by callgrind
# (repeatable on a loaded machine, unlike seconds): the benchmark's stimulus is recorded, then
# one measurement runs under valgrind; its cost is the difference with a run that only records.
#
#   scripts/bench/callgrind.sh [CYCLES]      (default 200000)
#
# Prints, per kind (batched replay through Verilator, one FFI call a cycle, driver + golden
# model), the instructions per cycle; the callgrind files stay in target/callgrind/.
set -euo pipefail
cd "$(dirname "$0")/../.."
cycles="${1:-200000}"
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install valgrind" >&2; exit 1; }
cargo bench -p edgertl-sim --no-run 2>/dev/null
bin="$(ls -t target/release/deps/cosim-* | grep -v '\.d$' | head -n1)"
out=target/callgrind
mkdir -p "$out"
declare -A ir
n=0
for mode in none batched tick model; do
  log="$(EDGERTL_BENCH_CYCLES="$cycles" EDGERTL_BENCH_ONLY="$mode" valgrind --tool=callgrind \
    --callgrind-out-file="$out/$mode.out" "$bin" 2>&1)"
  ir[$mode]="$(grep -o 'Collected : [0-9]*' <<<"$log" | grep -o '[0-9]*$')"
  n="$(grep -o '^cycles [0-9]*' <<<"$log" | grep -o '[0-9]*$')"
  echo "callgrind: $mode done (${ir[$mode]} instructions in all)" >&2
done
printf '%-44s %14s\n' "PE co-simulation ($n cycles)" "instr/cycle"
for mode in batched tick model; do
  case $mode in
    batched) name="Verilator alone (batched, Dut::run)";;
    tick) name="Verilator alone (one call a cycle)";;
    model) name="Verilator + driver + golden model";;
  esac
  printf '%-44s %14.0f\n' "$name" "$(echo "(${ir[$mode]} - ${ir[none]}) / $n" | bc -l)"
done
