/* The MPS2+ AN385's sizing and services: one of its profiles, which CMake's
 * PMU_PROFILE picks (complete by default; docs/BOARD.md, "Profiles", gives each one's
 * limits and bench/footprint.sh its flash, RAM and measured peaks). Read by
 * lwipopts.h, port/ and firmware/; C and C++ alike. */
#ifndef PMU_TARGET_CONFIG_H
#define PMU_TARGET_CONFIG_H

#if defined(PMU_PROFILE_COMPLETE)
#include "profiles/complete.h"
#elif defined(PMU_PROFILE_LAB)
#include "profiles/lab.h"
#elif defined(PMU_PROFILE_COMPACT)
#include "profiles/compact.h"
#else
#error "no board profile: CMake defines PMU_PROFILE_<NAME> from PMU_PROFILE (cmake/PmuProfile.cmake)"
#endif

#endif
