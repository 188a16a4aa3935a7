#include "pmu/firmware/services/reset_id_cache.h"

namespace pmu::firmware {

std::optional<std::uint32_t> ResetIdCache::Find(std::string_view token, std::uint64_t now_ms) const {
  for (const Entry& e : entries_) {
    if (Live(e, now_ms) && e.token.view() == token) return e.offset;
  }
  return std::nullopt;
}

void ResetIdCache::Insert(std::string_view token, std::uint32_t offset, std::uint64_t now_ms) {
  Entry* slot = nullptr;
  for (Entry& e : entries_) {
    if (!Live(e, now_ms)) {
      slot = &e;
      break;
    }
    if (slot == nullptr || e.added_ms < slot->added_ms) slot = &e;  // the oldest so far
  }
  slot->used = true;
  slot->added_ms = now_ms;
  slot->offset = offset;
  slot->token.clear();
  slot->token.Append(token);
}

std::size_t ResetIdCache::size(std::uint64_t now_ms) const {
  std::size_t n = 0;
  for (const Entry& e : entries_) n += Live(e, now_ms) ? 1 : 0;
  return n;
}

}  // namespace pmu::firmware
