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

echo "setup: tools"
printf '  %-14s %s\n' verilator     "$(verilator --version | head -n1)"
printf '  %-14s %s\n' yosys         "$(yosys -V | head -n1)"
printf '  %-14s %s\n' iverilog      "$(iverilog -V 2>/dev/null | head -n1)"
printf '  %-14s %s\n' nextpnr-ice40 "$(nextpnr-ice40 --version 2>&1 | head -n1)"
printf '  %-14s %s\n' icepack       "$(command -v icepack)"
