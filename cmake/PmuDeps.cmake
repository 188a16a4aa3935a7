# lwIP 2.1.3 and mbedTLS 2.28.3, compiled from the sources scripts/setup.sh unpacked from
# Debian's source packages, with this project's own configuration headers (port/).
# Nothing third-party lives in the repository.
set(_pmu_deps_default "$ENV{PMU_DEPS_DIR}")
if(NOT _pmu_deps_default)
  if(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(_pmu_deps_default "$ENV{XDG_CACHE_HOME}/pmu-deps")
  else()
    set(_pmu_deps_default "$ENV{HOME}/.cache/pmu-deps")
  endif()
endif()
set(PMU_DEPS_DIR "${_pmu_deps_default}" CACHE PATH "Unpacked lwIP and mbedTLS sources (scripts/setup.sh)")

# File names that reach the image (lwIP's assertions carry __FILE__) are relative to
# the deps and source folders, so an image does not depend on where it was built:
# same sources, same bytes, whichever clone and cache built them.
add_compile_options("-fmacro-prefix-map=${PMU_DEPS_DIR}/=" "-fmacro-prefix-map=${PROJECT_SOURCE_DIR}/=")

set(LWIP_DIR "${PMU_DEPS_DIR}/lwip-2.1.3")
set(MBEDTLS_DIR "${PMU_DEPS_DIR}/mbedtls-2.28.3")
foreach(_dir IN ITEMS "${LWIP_DIR}/src/core/tcp.c" "${MBEDTLS_DIR}/library/ssl_tls.c")
  if(NOT EXISTS "${_dir}")
    message(FATAL_ERROR "Third-party sources not found (${_dir}).\n"
                        "Run scripts/setup.sh first, or set PMU_DEPS_DIR to where it unpacked them.")
  endif()
endforeach()

# ---- lwIP ---------------------------------------------------------------------------
# The core, IPv4, IPv6 and Ethernet. (lwIP's own Filelists.cmake is not included: it
# also rewrites files in the source tree and adds documentation targets.)
file(GLOB _lwip_srcs CONFIGURE_DEPENDS
  "${LWIP_DIR}/src/core/*.c" "${LWIP_DIR}/src/core/ipv4/*.c" "${LWIP_DIR}/src/core/ipv6/*.c")
add_library(lwip STATIC ${_lwip_srcs} "${LWIP_DIR}/src/netif/ethernet.c"
  "${LWIP_DIR}/src/apps/altcp_tls/altcp_tls_mbedtls.c"
  "${LWIP_DIR}/src/apps/altcp_tls/altcp_tls_mbedtls_mem.c")
target_include_directories(lwip SYSTEM PUBLIC
  "${LWIP_DIR}/src/include"
  "${PROJECT_SOURCE_DIR}/port/lwip/include")
# lwIP is C; its own warnings are not ours to fix. altcp_tls needs mbedTLS.
target_compile_options(lwip PRIVATE -w)
# lwipopts.h reads the target's sizing (targets/<target>/include/pmu_target_config.h).
target_link_libraries(lwip PUBLIC mbedtls pmu_target_config)
# altcp_tls's calls into mbedTLS go through the port's timing wrappers (--wrap,
# port/CMakeLists.txt). A wrapped call must stay a call the linker sees: link-time
# optimisation resolves it on its own when caller and callee land in one partition,
# and the wrapper is then silently dropped (it happened to the board image as its code
# grew: the TLS statistics counted no handshake). So this one file is not optimised
# across files.
if(CMAKE_INTERPROCEDURAL_OPTIMIZATION)
  set_source_files_properties("${LWIP_DIR}/src/apps/altcp_tls/altcp_tls_mbedtls.c" PROPERTIES COMPILE_OPTIONS -fno-lto)
endif()
# The private structures of altcp_tls, for port/ only (it builds its own TLS configs).
set(LWIP_ALTCP_TLS_PRIVATE_DIR "${LWIP_DIR}/src/apps/altcp_tls")
set_target_properties(lwip PROPERTIES C_VISIBILITY_PRESET default POSITION_INDEPENDENT_CODE OFF)

# ---- mbedTLS ------------------------------------------------------------------------
file(GLOB _mbedtls_srcs CONFIGURE_DEPENDS "${MBEDTLS_DIR}/library/*.c")
add_library(mbedtls STATIC ${_mbedtls_srcs})
target_include_directories(mbedtls SYSTEM PUBLIC
  "${MBEDTLS_DIR}/include"
  "${PROJECT_SOURCE_DIR}/port/mbedtls/include")
target_include_directories(mbedtls PRIVATE "${MBEDTLS_DIR}/library")
target_compile_definitions(mbedtls PUBLIC MBEDTLS_CONFIG_FILE="pmu_mbedtls_config.h")
target_compile_options(mbedtls PRIVATE -w)
if(NOT PMU_HOST)
  target_compile_definitions(mbedtls PUBLIC PMU_MBEDTLS_BARE_METAL)
endif()
