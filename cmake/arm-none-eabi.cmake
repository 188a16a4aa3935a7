# Cross toolchain for the Cortex-M3 boards (the ARM MPS2+ AN385, the TI Stellaris
# LM3S6965): Debian's gcc-arm-none-eabi with newlib-nano (scripts/setup.sh installs
# both). Used by the mps2-an385* and lm3s6965evb presets.
#
# Code generation and size options live here so that every target of the board tree,
# lwIP and mbedTLS included, is built the same way:
#   -mcpu=cortex-m3 -mthumb    both boards' core (ARMv7-M, no FPU)
#   -Os                         flash is the scarce resource on the board
#   -ffunction-sections -fdata-sections with --gc-sections: unused code drops out
#   -fno-exceptions -fno-rtti   also for C++ code outside pmu_firmware_code()
#   --specs=nano.specs          newlib-nano: small printf family, no locale tables
#   link-time optimisation      (CMAKE_INTERPROCEDURAL_OPTIMIZATION: -flto and gcc-ar)
#                               inlines and drops across files and libraries: 5% less
#                               flash (docs/BENCHMARKS.md, "Board footprint"); newlib
#                               and the start-up stubs it calls stay ordinary objects
#                               (hal/cortex-m/CMakeLists.txt)
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy for the board image")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size for the board image")

# No host executables can run the compiler's output: test the compiler with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(_pmu_arch "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
set(_pmu_common "${_pmu_arch} -ffunction-sections -fdata-sections -fno-common")
set(CMAKE_C_FLAGS_INIT "${_pmu_common}")
set(CMAKE_CXX_FLAGS_INIT "${_pmu_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics")
set(CMAKE_ASM_FLAGS_INIT "${_pmu_arch}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_pmu_arch} --specs=nano.specs -Wl,--gc-sections")

# The preset builds MinSizeRel (CMake adds -Os -DNDEBUG); keep debug information too,
# it costs no flash and makes the map file and fault addresses readable.
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-g")
set(CMAKE_CXX_FLAGS_MINSIZEREL_INIT "-g")

set(CMAKE_INTERPROCEDURAL_OPTIMIZATION ON)

# Libraries and headers come from the cross toolchain only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
