#!/bin/bash
# deps.sh - install what the host build of the core needs (kunit/host/):
# g++ with its sanitizer runtimes, clang with libFuzzer and the compiler-rt
# sanitizers, GoogleTest, llvm-cov for the coverage report.  Idempotent,
# like scripts/deps.sh: nothing happens when everything is installed.
set -euo pipefail
pkgs=(g++ make clang libclang-rt-dev libgtest-dev llvm python3)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "kunit/host/deps.sh: missing ${missing[*]}; run as root to install" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ ! -f /var/lib/apt/lists/.pcpupool-updated ] || [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock)" ]; then
	apt-get update -q >&2
	touch /var/lib/apt/lists/.pcpupool-updated
fi
echo "installing: ${missing[*]}" >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
