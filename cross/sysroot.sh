#!/usr/bin/env bash
# Build a Debian 12 (bookworm) sysroot for cross-compiling edgegate (cross/README.md).
#
#   cross/sysroot.sh <arm64|armhf> [DIR]      DIR defaults to build/sysroot-<arch>
#
# The sysroot holds the target's -dev packages and their runtime libraries, unpacked with
# `mmdebstrap --variant=extract` (no maintainer scripts, so no emulation and no
# `dpkg --add-architecture` on the host). The archive comes from this machine's own apt sources.
# The result is cached: a second run with the same architecture and package list does nothing.
# Building needs root (mmdebstrap's `root` mode): run as another user, the script calls sudo for
# itself and hands the result back to that user.
set -euo pipefail

# What we link against (tests included). Paho's CMake config needs the OpenSSL headers although
# its package does not depend on them; libstdc++-12-dev gives the target's C++ headers and
# libstdc++ beside its runtime, whatever include path the cross g++ picks.
PACKAGES=(
    libc6-dev libstdc++-12-dev
    libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev
    libsqlite3-dev libyaml-cpp-dev libmodbus-dev libgpiod-dev libsystemd-dev
    libspdlog-dev libcli11-dev rapidjson-dev doctest-dev libcpp-httplib-dev
)
SUITE=bookworm

usage() { echo "usage: $0 <arm64|armhf> [DIR]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
arch=$1
case $arch in arm64 | armhf) ;; *) usage ;; esac
root_dir=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$root_dir/build/sysroot-$arch}

# The cache key: architecture, suite and package list. The stamp is written last, so an
# interrupted run is redone, never half-used.
key="$arch $SUITE ${PACKAGES[*]}"
stamp=$dir/.edgegate-sysroot
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
    echo "sysroot: $dir is up to date ($arch)"
    exit 0
fi

# mmdebstrap's `root` mode: only the build needs root, not the cache check above.
if [ "$(id -u)" != 0 ]; then
    exec sudo bash "$0" "$arch" "$dir"
fi

command -v mmdebstrap >/dev/null || { echo "sysroot: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 1; }

# The archive addresses this machine's apt already uses (sources.list, sources.list.d/*.list
# and *.sources, whatever is enabled), as apt itself resolves them: one line per suite.
# Only the bookworm suites: main, -updates, -security.
mapfile -t repos < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' |
    awk -v s="$SUITE" '$2 == s || $2 == s"-updates" || $2 == s"-security"' | sort -u)
[ ${#repos[@]} -gt 0 ] || { echo "sysroot: no $SUITE suite in this machine's apt sources (run apt-get update?)" >&2; exit 1; }

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=""
[ -f "$keyring" ] && signed="[signed-by=$keyring] "
sources=()
for line in "${repos[@]}"; do
    uri=${line%% *}
    release=${line##* }
    # Known trap on this Debian 12 setup: the armhf index of the security suite fails apt's
    # size check, so armhf is built from the main and updates suites only.
    if [ "$arch" = armhf ] && [ "$release" = "$SUITE-security" ]; then
        echo "sysroot: armhf: skipping $uri $release (its armhf index fails the size check here);" \
            "using the main and updates suites only" >&2
        continue
    fi
    sources+=("deb ${signed}$uri $release main")
done
printf 'sysroot: source: %s\n' "${sources[@]}"

# Build beside the destination and move into place, so a failed run leaves no half sysroot.
mkdir -p "$(dirname "$dir")"
tmp=$(mktemp -d "$dir.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
include=$(IFS=,; echo "${PACKAGES[*]}")
mmdebstrap --variant=extract --architectures="$arch" --include="$include" \
    --setup-hook=/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh \
    "$SUITE" "$tmp" "$(printf '%s\n' "${sources[@]}")"

# Absolute symlinks (e.g. /usr/lib/<triplet>/libfoo.so -> /lib/<triplet>/libfoo.so.1) would
# resolve on the host; make them relative so the linker and qemu -L stay inside the sysroot.
while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    case $target in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$tmp$target")" "$link" ;;
    esac
done < <(find "$tmp" -type l -print0)

# Only what linking and running need: no documentation, no apt cache.
rm -rf "$tmp"/usr/share/doc "$tmp"/usr/share/man "$tmp"/usr/share/locale "$tmp"/var/cache/apt/archives/*.deb
echo "$key" >"$tmp/.edgegate-sysroot"
chmod 755 "$tmp"
rm -rf "$dir"
mv "$tmp" "$dir"
# Started through sudo: the sysroot belongs to the user who asked for it (so `make clean` works).
if [ -n "${SUDO_UID:-}" ]; then chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$dir"; fi
trap - EXIT
echo "sysroot: $dir ready ($arch, $(du -sh "$dir" | cut -f1), $(($(date +%s) - start)) s)"
