#!/usr/bin/env bash
# The Debian package, for real: built with cpack from BUILD_DIR into a temporary folder,
# inspected, installed with dpkg -i, its edgegate run on its own configuration, removed, purged.
#
#   tests/package/test_deb.sh BUILD_DIR          (CTest: integration.test_package)
#
# It changes this machine (/usr/bin, /etc, the edgegate user), so it needs root and reports
# itself skipped (exit 77) otherwise, or when an edgegate package or journal is already here.
set -uo pipefail

skip() { echo "SKIPPED: $*"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(realpath "$1")
[ "$(id -u)" = 0 ] || skip "installs a package: run as root (make test does)"
for tool in cpack dpkg dpkg-deb flock; do
    command -v "$tool" >/dev/null || skip "$tool is missing"
done

# Concurrent runs (several build folders on one machine) would fight over the one package.
exec 9>/run/lock/edgegate-package-test.lock
flock -w 900 9 || { echo "FAIL: another package test held the lock for 15 minutes"; exit 1; }

if dpkg-query -W -f='${Status}' edgegate 2>/dev/null | grep -q 'installed\|config-files'; then
    skip "an edgegate package is installed on this machine; this test would replace and purge it"
fi
[ -e /var/lib/edgegate ] && skip "/var/lib/edgegate exists (a journal?); purging the package deletes it"

tmp=$(mktemp -d)
installed=0
cleanup() {
    [ $installed = 1 ] && dpkg --purge edgegate >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

# dpkg does not wait for its lock (apt elsewhere on the machine may hold it): retry until a deadline.
dpkg_retry() {
    local deadline=$((SECONDS + 300)) out
    while :; do
        out=$("$@" 2>&1) && { echo "$out"; return 0; }
        if ! grep -q 'lock' <<<"$out" || [ $SECONDS -ge $deadline ]; then
            echo "$out"
            return 1
        fi
        sleep 1
    done
}

echo "== cpack from $build"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log"; echo "FAIL: cpack"; exit 1; }
grep 'Depends:' "$tmp/cpack.log"
mapfile -t debs < <(find "$tmp/out" -maxdepth 1 -name 'edgegate_*.deb')
[ ${#debs[@]} = 1 ] || { ls -l "$tmp/out"; echo "FAIL: expected one edgegate_*.deb"; exit 1; }
deb=${debs[0]}
arch=$(dpkg --print-architecture)
version=$("$build/gateway/cli/edgegate" --version | awk '{ print $2 }')
[ "$(basename "$deb")" = "edgegate_${version}_${arch}.deb" ] && pass "file name $(basename "$deb")" ||
    fail "file name $(basename "$deb"), expected edgegate_${version}_${arch}.deb"

echo "== dpkg-deb --info"
dpkg-deb --info "$deb"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] && pass "Architecture: $arch" || fail "Architecture"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] && pass "Version: $version" || fail "Version"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libstdc++6 libpaho-mqttpp3-1 libpaho-mqtt1.3 libyaml-cpp0.7 libmodbus5 libgpiod2 \
    libsqlite3-0 libspdlog1.10 libsystemd0 systemd-sysusers; do
    grep -q "\\b$lib" <<<"$depends" && pass "Depends names $lib" || fail "Depends lacks $lib: $depends"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$tmp" ./conffiles 2>/dev/null
grep -qx /etc/edgegate/edgegate.yaml "$tmp/conffiles" && pass "conffile /etc/edgegate/edgegate.yaml" ||
    fail "/etc/edgegate/edgegate.yaml is not a conffile"

echo "== dpkg-deb --contents"
dpkg-deb --contents "$deb"
contents=$(dpkg-deb --contents "$deb" | awk '{ print $NF }')
for f in ./usr/bin/edgegate ./lib/systemd/system/edgegate.service ./usr/lib/sysusers.d/edgegate.conf \
    ./etc/edgegate/edgegate.yaml ./usr/share/doc/edgegate/README.md; do
    grep -qx "$f" <<<"$contents" && pass "ships $f" || fail "does not ship $f"
done
dpkg-deb -x "$deb" "$tmp/root"
if readelf -S "$tmp/root/usr/bin/edgegate" | grep -q '\.symtab\|\.debug_'; then
    fail "/usr/bin/edgegate is not stripped"
else
    pass "/usr/bin/edgegate stripped ($(stat -c %s "$tmp/root/usr/bin/edgegate") bytes)"
fi

if command -v lintian >/dev/null; then
    echo "== lintian"
    lintian --allow-root --tag-display-limit 0 "$deb" >"$tmp/lintian.log" 2>&1
    cat "$tmp/lintian.log"
    # Errors this package accepts, each for a reason:
    # - no-copyright-file: the project has no licence yet, and a copyright file cannot invent one.
    # - no-changelog: CPack builds from the sources; there is no Debian changelog to ship.
    errors=$(grep '^E: ' "$tmp/lintian.log" | grep -v ': no-copyright-file\|: no-changelog ')
    [ -z "$errors" ] && pass "lintian: no errors beyond the accepted ones" || fail "lintian errors: $errors"
fi

echo "== dpkg -i"
installed=1
dpkg_retry dpkg -i "$deb" || { echo "FAIL: dpkg -i"; exit 1; }
out=$(/usr/bin/edgegate check -c /etc/edgegate/edgegate.yaml 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] && pass "edgegate check -c /etc/edgegate/edgegate.yaml" || fail "edgegate check exited $rc"
getent passwd edgegate >/dev/null && pass "user edgegate: $(getent passwd edgegate)" ||
    fail "no edgegate user"

# What the service would leave behind (StateDirectory=edgegate): kept on remove, gone on purge.
mkdir -p /var/lib/edgegate
: >/var/lib/edgegate/journal.db
echo "== dpkg -r"
dpkg_retry dpkg -r edgegate || fail "dpkg -r"
[ ! -e /usr/bin/edgegate ] && pass "remove: /usr/bin/edgegate gone" || fail "remove left /usr/bin/edgegate"
[ -f /etc/edgegate/edgegate.yaml ] && pass "remove: configuration kept" || fail "remove deleted the configuration"
[ -f /var/lib/edgegate/journal.db ] && pass "remove: journal kept" || fail "remove deleted the journal"

echo "== dpkg --purge"
dpkg_retry dpkg --purge edgegate || fail "dpkg --purge"
installed=0
for f in /usr/bin/edgegate /etc/edgegate /lib/systemd/system/edgegate.service \
    /usr/lib/sysusers.d/edgegate.conf /usr/share/doc/edgegate /var/lib/edgegate; do
    [ ! -e "$f" ] && pass "purge: $f gone" || fail "purge left $f"
done
dpkg-query -W edgegate >/dev/null 2>&1 && fail "dpkg still knows edgegate" || pass "dpkg forgot edgegate"

echo "$failures failure(s)"
[ $failures = 0 ]
