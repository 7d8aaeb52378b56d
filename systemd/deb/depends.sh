#!/usr/bin/env bash
# Print the Depends of the edgegate package for BINARY: dpkg-shlibdeps against the shlibs and
# symbols files of the Debian packages that ship its libraries, for the binary's architecture.
#
#   systemd/deb/depends.sh BINARY                  native build: this machine's dpkg database
#   systemd/deb/depends.sh BINARY ARCH SYSROOT     cross build (arm64, armhf) against SYSROOT
#
# A cross sysroot (cross/sysroot.sh) is unpacked without a dpkg database, so for a cross build the
# script downloads the target's runtime library packages from the sysroot's own apt sources, and
# gives dpkg-shlibdeps a dpkg database made of their file lists and shlibs/symbols files. Which package ships a library is asked of this machine's dpkg
# database (bookworm names its library packages alike on every architecture) and then checked in
# the target package's file list. Any library without dependency information is an error: a
# Depends that misses a library would install a gateway that cannot start.
set -euo pipefail

usage() { echo "usage: $0 BINARY [ARCH SYSROOT]" >&2; exit 2; }
[ $# -eq 1 ] || [ $# -eq 3 ] || usage
bin=$(realpath "$1")
[ -f "$bin" ] || { echo "depends: $bin: no such file" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps insists on a source package's debian/control in its working directory.
mkdir -p "$work/src/debian"
: >"$work/src/debian/control"

shlibdeps() {
    # Its warning that the binary is outside a package build tree is expected here.
    (cd "$work/src" && dpkg-shlibdeps -O "$@" -e"$bin" 2> >(grep -v "should already be installed" >&2)) |
        sed -n 's/^shlibs:Depends=//p'
}

if [ $# -eq 1 ]; then
    shlibdeps
    exit 0
fi

arch=$2
sysroot=$(realpath "$3")
triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
host_triplet=$(dpkg-architecture -qDEB_BUILD_MULTIARCH 2>/dev/null)
[ -d "$sysroot/usr/lib/$triplet" ] || { echo "depends: $sysroot is not an $arch sysroot" >&2; exit 1; }

# Each NEEDED library, as the target's loader would find it in the sysroot.
mapfile -t sonames < <(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }')
declare -A wanted=()
for soname in "${sonames[@]}"; do
    lib=""
    for dir in "/usr/lib/$triplet" "/lib/$triplet" /usr/lib /lib; do
        if [ -e "$sysroot$dir/$soname" ]; then lib=$dir/$soname; break; fi
    done
    [ -n "$lib" ] || { echo "depends: $soname is not in $sysroot" >&2; exit 1; }
    pkg=$(dpkg-query -S "*/$soname" 2>/dev/null | awk -v so="$soname" -v ht="$host_triplet" '
        $NF == "/usr/lib/" ht "/" so || $NF == "/lib/" ht "/" so { sub(/:.*/, "", $1); print $1; exit }') || true
    [ -n "$pkg" ] || {
        echo "depends: no package on this machine ships $soname, so its name is unknown;" \
            "install the native build dependencies (make deps)" >&2
        exit 1
    }
    wanted[$pkg]+=" $lib"
done

# The target's packages, from the sysroot's own apt sources (for armhf without the security
# suite, as cross/sysroot.sh chose), with indexes fetched into the scratch folder: nothing is
# written into the sysroot. The current versions may be newer than the sysroot's; a library's
# symbols file only ever adds symbols, so the minimum versions derived stay the same.
mkdir -p "$work/debs" "$work/cache" "$work/lists/partial" "$work/db/info" "$work/db/updates"
# As root apt would hand the download to its _apt user, who cannot write into the scratch folder.
sandbox=()
[ "$(id -u)" != 0 ] || sandbox=(-o APT::Sandbox::User=root)
apt_opts=(-q=2 "${sandbox[@]}" -o Dir="$sysroot" -o Dir::Cache="$work/cache"
    -o Dir::State::Lists="$work/lists" -o Dir::State::status="$sysroot/var/lib/dpkg/status"
    -o Debug::NoLocking=true -o APT::Architecture="$arch" -o APT::Architectures="$arch")
apt-get "${apt_opts[@]}" update && (cd "$work/debs" && apt-get "${apt_opts[@]}" download "${!wanted[@]}") || {
    echo "depends: cannot download the $arch packages ${!wanted[*]} from the sources in" \
        "$sysroot/etc/apt" >&2
    exit 1
}

# A dpkg database holding just those packages, their paths prefixed by the sysroot (where
# dpkg-shlibdeps finds the libraries). Both /lib and /usr/lib spellings: the sysroot is merged-usr.
status=$work/db/status
: >"$status"
for deb in "$work"/debs/*.deb; do
    pkg=$(dpkg-deb -f "$deb" Package)
    {
        dpkg-deb -f "$deb" Package Version Architecture Maintainer Description
        echo "Status: install ok installed"
        echo
    } >>"$status"
    dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -n 's|^\./|/|p' | sed 's|/$||' | while IFS= read -r path; do
        echo "$sysroot$path"
        case $path in
        /lib/*) echo "$sysroot/usr$path" ;;
        /usr/lib/*) echo "$sysroot${path#/usr}" ;;
        esac
    done >"$work/db/info/$pkg.list"
    for lib in ${wanted[$pkg]}; do
        grep -qxF "$sysroot$lib" "$work/db/info/$pkg.list" ||
            { echo "depends: the $arch package $pkg does not ship $lib" >&2; exit 1; }
    done
    dpkg-deb -e "$deb" "$work/control-$pkg"
    for f in shlibs symbols; do
        [ -f "$work/control-$pkg/$f" ] && cp "$work/control-$pkg/$f" "$work/db/info/$pkg.$f"
    done
done

DEB_HOST_ARCH=$arch shlibdeps --admindir="$work/db" -l"$sysroot/usr/lib/$triplet" -l"$sysroot/lib/$triplet"
