# Cross-compiling edgegate for a Raspberry Pi or an ARM gateway (cross/README.md).
#
#   cmake -S . -B build/cross-arm64 -DCMAKE_TOOLCHAIN_FILE=cross/toolchain.cmake \
#         -DEDGEGATE_CROSS_TRIPLET=aarch64-linux-gnu -DEDGEGATE_CROSS_SYSROOT=$PWD/build/sysroot-arm64
#
# EDGEGATE_CROSS_TRIPLET: aarch64-linux-gnu (Debian arm64) or arm-linux-gnueabihf (Debian armhf).
# EDGEGATE_CROSS_SYSROOT: a sysroot from cross/sysroot.sh <arm64|armhf>.
#
# Every dependency resolves to the sysroot's copy: CMake's find_* only look inside it, and
# pkg-config reads only its .pc files. ctest runs the ARM programs through qemu-user. This file
# only sets variables (it is read again for every try_compile): no commands, no files.

set(EDGEGATE_CROSS_TRIPLET "aarch64-linux-gnu" CACHE STRING
    "GNU triplet of the target: aarch64-linux-gnu or arm-linux-gnueabihf")
set_property(CACHE EDGEGATE_CROSS_TRIPLET PROPERTY STRINGS aarch64-linux-gnu arm-linux-gnueabihf)
set(EDGEGATE_CROSS_SYSROOT "" CACHE PATH "Target sysroot (cross/sysroot.sh)")
# try_compile projects read this file again: hand them the same choices.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EDGEGATE_CROSS_TRIPLET EDGEGATE_CROSS_SYSROOT)

if(EDGEGATE_CROSS_TRIPLET STREQUAL "aarch64-linux-gnu")
  set(CMAKE_SYSTEM_PROCESSOR aarch64)
  set(_edgegate_qemu qemu-aarch64)
elseif(EDGEGATE_CROSS_TRIPLET STREQUAL "arm-linux-gnueabihf")
  # Debian armhf: ARMv7-A, VFPv3-D16, Thumb-2 (the compiler's defaults).
  set(CMAKE_SYSTEM_PROCESSOR armv7l)
  set(_edgegate_qemu qemu-arm)
else()
  message(FATAL_ERROR "EDGEGATE_CROSS_TRIPLET: '${EDGEGATE_CROSS_TRIPLET}' is neither "
                      "aarch64-linux-gnu nor arm-linux-gnueabihf")
endif()
if(NOT EDGEGATE_CROSS_SYSROOT OR NOT IS_DIRECTORY "${EDGEGATE_CROSS_SYSROOT}/usr/include")
  message(FATAL_ERROR "EDGEGATE_CROSS_SYSROOT: '${EDGEGATE_CROSS_SYSROOT}' is not a sysroot; "
                      "build one with cross/sysroot.sh <arm64|armhf>")
endif()

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${EDGEGATE_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${EDGEGATE_CROSS_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${EDGEGATE_CROSS_TRIPLET})

set(CMAKE_SYSROOT "${EDGEGATE_CROSS_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${EDGEGATE_CROSS_SYSROOT}")
# Programs (qemu, pkg-config, the compilers) are the host's; everything linked is the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (libmodbus, sqlite3, ...): only the sysroot's .pc files, with their paths prefixed
# by the sysroot. Without this the host's .pc files win quietly and the link takes x86 libraries.
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_LIBDIR}
    "${EDGEGATE_CROSS_SYSROOT}/usr/lib/${EDGEGATE_CROSS_TRIPLET}/pkgconfig:${EDGEGATE_CROSS_SYSROOT}/usr/lib/pkgconfig:${EDGEGATE_CROSS_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${EDGEGATE_CROSS_SYSROOT}")

# ctest (and any add_custom_command running a built program) starts ARM programs through
# qemu-user explicitly: binfmt_misc is not mounted on build machines.
set(CMAKE_CROSSCOMPILING_EMULATOR ${_edgegate_qemu} -L ${EDGEGATE_CROSS_SYSROOT})

# GCC's -Wpsabi notes on armhf (a parameter-passing ABI change in GCC 7) are noise here.
if(EDGEGATE_CROSS_TRIPLET STREQUAL "arm-linux-gnueabihf")
  set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
endif()
