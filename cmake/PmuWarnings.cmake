# pmu_firmware_code(target): code that runs on the device (and every layer below it).
# No exceptions, no RTTI, warnings as errors.
# pmu_host_code(target): host tools and tests; same warnings, exceptions allowed.
set(PMU_WARNINGS -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(PMU_WERROR)
  list(APPEND PMU_WARNINGS -Werror)
endif()

function(pmu_firmware_code target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${PMU_WARNINGS} -fno-exceptions -fno-rtti -fno-threadsafe-statics>)
endfunction()

function(pmu_host_code target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${PMU_WARNINGS}>)
endfunction()
