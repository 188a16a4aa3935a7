/* The LM3S6965's sizing and services: its profile, which CMake's PMU_PROFILE picks
 * (plain, the only one; docs/BOARD.md, "The LM3S6965"). Read by lwipopts.h, port/ and
 * firmware/; C and C++ alike. */
#ifndef PMU_TARGET_CONFIG_H
#define PMU_TARGET_CONFIG_H

#if defined(PMU_PROFILE_PLAIN)
#include "profiles/plain.h"
#else
#error "no board profile: CMake defines PMU_PROFILE_<NAME> from PMU_PROFILE (cmake/PmuProfile.cmake)"
#endif

#endif
