#!/usr/bin/env bash
# setup.sh -- install the Debian 12 packages absim needs to build, test and
# plot. Idempotent: when every package is present it only checks (a second).
# Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libgsl-dev            # RNG distributions, special functions, gsl_cdf_*
  libhdf5-dev hdf5-tools # results files, h5dump/h5diff for tests
  libyaml-dev           # config parser (event API with exact marks)
  libjansson-dev        # JSON output
  libcsv-dev            # loan tapes
  librandom123-dev      # Philox counter-based streams (header only)
  libcmocka-dev         # unit tests
  zlib1g-dev
  python3 python3-h5py python3-numpy python3-matplotlib # scripts/absim-plot
)
if [ "${ABSIM_WITH_MPI:-0}" = 1 ]; then
  packages+=(libopenmpi-dev openmpi-bin)
fi
if [ "${ABSIM_WITH_FUZZ:-0}" = 1 ]; then
  packages+=(clang libclang-rt-dev)
fi
if [ "${ABSIM_WITH_QUANTLIB:-0}" = 1 ]; then
  packages+=(g++ libquantlib0-dev)   # bench/quantlib: the QuantLib comparison
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "absim setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
