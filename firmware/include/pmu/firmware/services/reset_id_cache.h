// Remembers the answers given to identified reset requests (RESET:n;id=TOKEN), so a
// retransmission gets the first answer again and does not move the clock twice.
//
// Keyed by the identifier alone: the PDC sends each attempt to every address of the
// device (IPv4 and IPv6 alike), so one request legitimately arrives from two source
// addresses. Identifiers are expected to be unique per request (pdc draws 96 random
// bits); entries expire after kLifetimeMs and the oldest is evicted when all
// kCapacity slots (the target's PMU_RESET_ID_CACHE, a board's profile) are taken.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "pmu/base/fixed_string.h"
#include "pmu/proto/reset.h"
#include "pmu_target_config.h"

namespace pmu::firmware {

class ResetIdCache {
 public:
  static constexpr std::size_t kCapacity = PMU_RESET_ID_CACHE;
  static constexpr std::uint64_t kLifetimeMs = 300'000;  // 5 minutes

  // The answer first given to `token`, if it is remembered and not expired.
  std::optional<std::uint32_t> Find(std::string_view token, std::uint64_t now_ms) const;
  // Remembers the answer to `token` (replacing an expired or the oldest entry).
  void Insert(std::string_view token, std::uint32_t offset, std::uint64_t now_ms);
  std::size_t size(std::uint64_t now_ms) const;

 private:
  struct Entry {
    bool used = false;
    std::uint64_t added_ms = 0;
    std::uint32_t offset = 0;
    FixedString<proto::kMaxResetTokenLength> token;
  };
  bool Live(const Entry& e, std::uint64_t now_ms) const { return e.used && now_ms - e.added_ms < kLifetimeMs; }
  Entry entries_[kCapacity];
};

}  // namespace pmu::firmware
