// One static buffer for the firmware's large texts that live only while one step of
// the main loop handles them, and never two at once: the saved configuration (read
// while the boot sequence loads it, and by pmu-sim's SIGHUP; written by the console's
// `config save`) and the TLS identity's PEM texts (parsed at start, by `cert csr` and
// `cert install`). One 5 KiB buffer (4 KiB without TLS) instead of one per use keeps
// 8 KiB of RAM that would otherwise sit idle for the device's whole life.
//
//   TextScratch scratch;                      // the buffer is ours until `scratch` goes
//   std::span<char> text = scratch.bytes();
//
// Main loop only. Taking it while it is taken is a programming error (abort): every
// user holds it within one call. It is zeroed when it is given back (it held the
// device's private key and the Fernet key of the saved configuration).
#pragma once

#include <cstddef>
#include <span>

#include "pmu_target_config.h"

namespace pmu::firmware {

class TextScratch {
 public:
  // The saved configuration's storage slot (4 KiB) and, in an image with TLS, the three
  // PEM texts of the identity (2 + 2 + 1 KiB: storage_records.h) fit.
  static constexpr std::size_t kSize = PMU_WITH_TLS ? 5120 : 4096;

  TextScratch();
  ~TextScratch();
  TextScratch(const TextScratch&) = delete;
  TextScratch& operator=(const TextScratch&) = delete;

  std::span<char, kSize> bytes();
};

}  // namespace pmu::firmware
