# Read by cpack before it builds the package (CPACK_PROJECT_CONFIG_FILE in CMakeLists.txt), so
# that a plain `cpack` gives the same Depends as `make deb`: dpkg-shlibdeps on the built binary
# (systemd/deb/depends.sh; against the sysroot's packages for a cross build), then what the
# maintainer scripts call. It fails rather than build a package that misses a library.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(_edgegate_args "${CPACK_EDGEGATE_BINARY}")
  if(CPACK_EDGEGATE_SYSROOT)
    list(APPEND _edgegate_args ${CPACK_DEBIAN_PACKAGE_ARCHITECTURE} "${CPACK_EDGEGATE_SYSROOT}")
  endif()
  execute_process(
    COMMAND bash "${CPACK_EDGEGATE_DEPENDS_SCRIPT}" ${_edgegate_args}
    OUTPUT_VARIABLE _edgegate_libs
    RESULT_VARIABLE _edgegate_rc
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _edgegate_rc EQUAL 0 OR _edgegate_libs STREQUAL "")
    message(FATAL_ERROR "edgegate: no Depends for ${CPACK_EDGEGATE_BINARY} (see above)")
  endif()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_edgegate_libs}, ${CPACK_EDGEGATE_SCRIPT_DEPENDS}")
  message(STATUS "edgegate ${CPACK_DEBIAN_PACKAGE_ARCHITECTURE} Depends: "
                 "${CPACK_DEBIAN_PACKAGE_DEPENDS}")
endif()
