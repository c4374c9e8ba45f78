#!/bin/sh
# Installs what building and booting the kernel needs, and nothing else:
# the pinned Rust toolchain (from rust-toolchain.toml), the stable one the
# library crates are checked with, QEMU with the OVMF UEFI firmware, and
# the tz database (tzdata).
# Safe to run again: it only installs what is missing.
set -eu
cd "$(dirname "$0")/.."

# The pinned nightly, its components and the kernel target. RUSTUP_AUTO_INSTALL=0
# machines never install it implicitly, so do it here.
if ! command -v rustup >/dev/null 2>&1; then
    echo "setup: rustup not found: install it from your distribution or rustup.rs, then run make again" >&2
    exit 1
fi
rustup toolchain install >/dev/null

# The stable toolchain the library crates are also tested with (`make
# stable`, scripts/stable-check.sh), with the bare-metal target they are
# built for there. Only when missing.
stable=1.95.0
if ! rustup toolchain list | grep -q "^$stable-"; then
    rustup toolchain install "$stable" --profile minimal >/dev/null
fi
if ! rustup target list --toolchain "$stable" --installed | grep -qx x86_64-unknown-none; then
    rustup target add --toolchain "$stable" x86_64-unknown-none >/dev/null
fi

have_ovmf() {
    [ -n "${OVMF_CODE:-}" ] && [ -f "${OVMF_CODE}" ] && return 0
    for f in /usr/share/OVMF/OVMF_CODE.fd /usr/share/ovmf/OVMF.fd \
             /usr/share/edk2/ovmf/OVMF_CODE.fd /usr/share/qemu/OVMF.fd; do
        [ -f "$f" ] && return 0
    done
    return 1
}

missing=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="qemu-system-x86"
have_ovmf || missing="$missing ovmf"
# The tz database: the runner and the calendar tool resolve zone names
# (`windows = "...; Europe/Berlin"`) to their rules from it.
[ -d "${TZDIR:-/usr/share/zoneinfo}" ] || missing="$missing tzdata"
missing=$(echo "$missing" | sed 's/^ *//')

if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing $missing with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        # shellcheck disable=SC2086 # the package list is meant to split
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "setup: missing $missing: install the packages '$missing' (Debian/Ubuntu names) and run make again" >&2
        exit 1
    fi
fi
