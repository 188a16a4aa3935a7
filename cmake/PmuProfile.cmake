# The image's profile: which services are compiled in and how large its limits and
# pools are. A target with profiles keeps one header per profile in
# targets/<target>/include/profiles/<name>.h (the mps2-an385 board: complete, lab,
# compact; the lm3s6965evb: plain; docs/BOARD.md, "Profiles"), and PMU_PROFILE picks one; a target without
# (the simulator) has a single configuration, its pmu_target_config.h.
#
# The header is the one place a profile is written down: C and C++ read it through
# pmu_target_config.h, and this file reads its PMU_WITH_<SERVICE> switches, so that
# a service left out is not even compiled (firmware/CMakeLists.txt), and its
# PMU_STACK_BYTES for the linker.
#
# Sets: PMU_PROFILE (cache, when the target has profiles), PMU_PROFILE_HEADER,
# PMU_PROFILE_DEFINITION (the compile definition that selects the header),
# PMU_WITH_<SERVICE> (ON/OFF), PMU_SERVICES_LEFT_OUT (names, for the log).
set(_pmu_target_include ${PROJECT_SOURCE_DIR}/targets/${PMU_TARGET}/include)
set(_pmu_profiles_dir ${_pmu_target_include}/profiles)
if(EXISTS ${_pmu_profiles_dir})
  file(GLOB _pmu_profile_files RELATIVE ${_pmu_profiles_dir} CONFIGURE_DEPENDS ${_pmu_profiles_dir}/*.h)
  set(_pmu_profiles "")
  foreach(_f IN LISTS _pmu_profile_files)
    string(REGEX REPLACE "\\.h$" "" _name "${_f}")
    list(APPEND _pmu_profiles ${_name})
  endforeach()
  list(SORT _pmu_profiles)
  # complete where the target has it (the AN385), else its first profile (the LM3S6965's plain).
  if("complete" IN_LIST _pmu_profiles)
    set(_pmu_profile_default complete)
  else()
    list(GET _pmu_profiles 0 _pmu_profile_default)
  endif()
  set(PMU_PROFILE ${_pmu_profile_default} CACHE STRING "Profile of the ${PMU_TARGET} image: one of ${_pmu_profiles}")
  set_property(CACHE PMU_PROFILE PROPERTY STRINGS ${_pmu_profiles})
  if(NOT PMU_PROFILE IN_LIST _pmu_profiles)
    message(FATAL_ERROR "Unknown PMU_PROFILE '${PMU_PROFILE}' for ${PMU_TARGET} (known: ${_pmu_profiles}; "
                        "docs/BOARD.md, \"Profiles\")")
  endif()
  set(PMU_PROFILE_HEADER ${_pmu_profiles_dir}/${PMU_PROFILE}.h)
  string(TOUPPER "${PMU_PROFILE}" _upper)
  set(PMU_PROFILE_DEFINITION PMU_PROFILE_${_upper}=1)
else()
  set(PMU_PROFILE_HEADER ${_pmu_target_include}/pmu_target_config.h)
  set(PMU_PROFILE_DEFINITION "")
endif()
# Reconfigure when the profile changes what is compiled.
set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PMU_PROFILE_HEADER})

# The services a profile may leave out (every other one is always in).
set(PMU_OPTIONAL_SERVICES BULLETIN WEBSOCKET PLAYBACK TLS SNTP)
file(STRINGS ${PMU_PROFILE_HEADER} _pmu_switches REGEX "^#define PMU_WITH_[A-Z0-9_]+ +[01]")
set(PMU_SERVICES_LEFT_OUT "")
foreach(_service IN LISTS PMU_OPTIONAL_SERVICES)
  set(_value "")
  foreach(_line IN LISTS _pmu_switches)
    if(_line MATCHES "^#define PMU_WITH_${_service} +([01])")
      set(_value ${CMAKE_MATCH_1})
    endif()
  endforeach()
  if(_value STREQUAL "")
    message(FATAL_ERROR "${PMU_PROFILE_HEADER} does not say whether PMU_WITH_${_service} is 0 or 1")
  endif()
  if(_value)
    set(PMU_WITH_${_service} ON)
  else()
    set(PMU_WITH_${_service} OFF)
    list(APPEND PMU_SERVICES_LEFT_OUT ${_service})
  endif()
endforeach()

file(STRINGS ${PMU_PROFILE_HEADER} _pmu_stack REGEX "^#define PMU_STACK_BYTES +[0-9]")
if(_pmu_stack MATCHES "PMU_STACK_BYTES +([0-9]+)")
  set(PMU_STACK_BYTES ${CMAKE_MATCH_1})
else()
  set(PMU_STACK_BYTES "")
endif()

if(PMU_PROFILE_DEFINITION)
  message(STATUS "Profile: ${PMU_PROFILE} (${PMU_PROFILE_HEADER}); left out: ${PMU_SERVICES_LEFT_OUT}")
endif()
