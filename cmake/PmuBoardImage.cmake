# pmu_board_image(NAME LINKER_SCRIPT ld SOURCES src... LIBRARIES lib... [FOOTPRINT_ARGS arg...])
#
# A board's firmware image, as every board builds it: NAME.elf linked with the board's
# linker script (the profile's PMU_STACK_BYTES passed in), its map, then NAME.bin (from
# address 0: what a programmer or the MPS2's MCC writes), NAME.hex and NAME.size.txt, the
# size report of bench/footprint.py (FOOTPRINT_ARGS: the part's budgets, when they are
# not the footprint goal). Without a semihosting host a board starts its UTC at the
# configure time (honours SOURCE_DATE_EPOCH for reproducible builds); main.cc logs it.
find_package(Python3 REQUIRED COMPONENTS Interpreter)

function(pmu_board_image name)
  cmake_parse_arguments(I "" "LINKER_SCRIPT" "SOURCES;LIBRARIES;FOOTPRINT_ARGS" ${ARGN})
  add_executable(${name} ${I_SOURCES})
  target_link_libraries(${name} PRIVATE ${I_LIBRARIES})
  pmu_firmware_code(${name})
  string(TIMESTAMP _build_epoch "%s" UTC)
  target_compile_definitions(${name} PRIVATE PMU_BOARD_FALLBACK_UTC_S=${_build_epoch})
  set_target_properties(${name} PROPERTIES
    SUFFIX .elf
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}
    LINK_DEPENDS ${I_LINKER_SCRIPT})
  target_link_options(${name} PRIVATE
    -nostartfiles
    -T${I_LINKER_SCRIPT}
    -Wl,--defsym=PMU_STACK_SIZE=${PMU_STACK_BYTES}
    -Wl,-Map=${PROJECT_BINARY_DIR}/${name}.map,--cref
    -Wl,--print-memory-usage)
  set(out ${PROJECT_BINARY_DIR}/${name})
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:${name}> ${out}.bin
    COMMAND ${CMAKE_OBJCOPY} -O ihex $<TARGET_FILE:${name}> ${out}.hex
    COMMAND ${CMAKE_SIZE} -A -x $<TARGET_FILE:${name}> > ${out}.size.txt
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/bench/footprint.py --build ${PMU_PROFILE}=${PROJECT_BINARY_DIR}
            ${I_FOOTPRINT_ARGS} >> ${out}.size.txt
    COMMAND ${CMAKE_COMMAND} -E cat ${out}.size.txt
    BYPRODUCTS ${out}.bin ${out}.hex ${out}.size.txt
    COMMENT "Board image: ${name}.elf, .bin, .hex, .map and the size report"
    VERBATIM)
endfunction()
