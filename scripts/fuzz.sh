#!/usr/bin/env bash
# The long fuzz run of the file readers (.rlc, .npy): N inputs per reader (default 1000000),
# mutated from valid files, every panic or over-allocation a crash (exit 1).
#   scripts/fuzz.sh [N] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -q -p edgertl-sim --example fuzz_readers -- "${1:-1000000}" "${2:-1}"
