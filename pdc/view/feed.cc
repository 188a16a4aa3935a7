#include "feed.h"

#include <cstring>

namespace pmu::pdc::view {

Feed::Feed(std::size_t sources)
    : last_data_ns_(sources), configs_(sources), counters_(sources), link_down_ns_(sources, -1), errors_(sources) {
  for (auto& t : last_data_ns_) t.store(-1);
}

void Feed::Config(std::size_t source, std::span<const std::byte> frame) {
  std::lock_guard lock(mu_);
  auto& held = configs_[source];
  // The configuration is read again after every STAT bit 10 and each reconnect; only
  // a different one (SOC, FRACSEC and CHK aside) is news for the page.
  const bool same = held.size() == frame.size() && frame.size() >= 16 &&
                    std::memcmp(held.data() + 14, frame.data() + 14, frame.size() - 16) == 0 &&
                    std::memcmp(held.data(), frame.data(), 6) == 0;
  if (same) return;
  held.assign(frame.begin(), frame.end());
  ++config_version_;
}

void Feed::Set(const c37::AlignedSet& set, int rate) {
  if (viewers_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(mu_);
  rate_ = rate;
  ++sets_total_;
  if (sets_.size() > kMaxHeldBytes) {  // the web thread stalled: the page misses sets, the reader does not wait
    ++sets_dropped_;
    return;
  }
  SetHeader h;
  h.key = set.key;
  h.present = static_cast<std::uint32_t>(set.present);
  h.rate = rate;
  std::size_t at = sets_.size();
  sets_.resize(at + sizeof(h));
  std::memcpy(sets_.data() + at, &h, sizeof(h));
  for (std::size_t i = 0; i < set.frames.size(); ++i) {
    const auto& f = set.frames[i];
    if (f.empty()) continue;
    SourceHeader s;
    s.source = static_cast<std::uint16_t>(i);
    s.size = static_cast<std::uint16_t>(f.size());
    at = sets_.size();
    sets_.resize(at + sizeof(s) + ((f.size() + 7) & ~std::size_t{7}));
    std::memcpy(sets_.data() + at, &s, sizeof(s));
    std::memcpy(sets_.data() + at + sizeof(s), f.data(), f.size());
  }
}

void Feed::LinkDown(std::size_t source, std::string_view why, std::int64_t now_ns) {
  std::lock_guard lock(mu_);
  link_down_ns_[source] = now_ns;
  errors_[source] = std::string(why);
}

void Feed::Counters(std::size_t source, const observe::SourceCounters& counters) {
  std::lock_guard lock(mu_);
  counters_[source] = counters;
}

void Feed::Take(std::uint64_t have_version, Taken& out) {
  out.sets.clear();
  {
    std::lock_guard lock(mu_);
    out.sets.swap(sets_);
    out.config_version = config_version_;
    if (config_version_ != have_version) out.configs = configs_;
    out.rate = rate_;
    out.sets_total = sets_total_;
    out.sets_dropped = sets_dropped_;
    out.counters = counters_;
    out.link_down_ns = link_down_ns_;
    out.errors = errors_;
  }
  out.last_data_ns.resize(last_data_ns_.size());
  for (std::size_t i = 0; i < last_data_ns_.size(); ++i) out.last_data_ns[i] = last_data_ns_[i].load(std::memory_order_relaxed);
}

}  // namespace pmu::pdc::view
