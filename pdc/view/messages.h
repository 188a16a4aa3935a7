// What the live view's page receives over its WebSocket (JSON text messages, described
// in docs/VIEW.md) and the commands it may send back, as pure functions: no I/O, no
// threads, so the unit tests read them directly.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "observe/observer.h"
#include "pmu/proto/c37118.h"

namespace pmu::pdc::view {

namespace p = proto::c37118;

// What a phasor is, for the diagram: its quantity and its component.
struct PhasorRole {
  char quantity = 'V';     // 'V' or 'I'
  std::string component;   // "a", "b", "c", "pos", "neg", "zero" or "" (not known)
};
// From CFG-3's PHSCALE (type bits 3, 2-0) when the configuration has it; otherwise
// from the name as PMUs commonly write it (VA, VAN, V_A, IA... for phases; V1, VPOS,
// V+ ... for the positive sequence), and PHUNIT's voltage or current.
PhasorRole RolePhasor(const p::ConfigFrame& config, std::size_t pmu, std::size_t index);

// A source's configuration as the reader last read it (empty: none yet).
struct SourceConfig {
  std::vector<std::byte> bytes;
  std::unique_ptr<p::ConfigFrame> frame;  // decoded from bytes
};

// {"type": "config", ...}: every source, its station, IDCODE, CFGCNT, rate, channels.
std::string ConfigMessage(std::span<const observe::Source> sources, std::span<const SourceConfig> configs, int rate);

// One source's state for the status message.
struct SourceStatus {
  observe::SourceCounters counters;
  std::int64_t age_ms = -1;  // since its last data frame; -1: none yet
  bool link_down = false;    // its link failed after its last data frame
  std::string error;
};
// A source counts as stale when nothing came for this long (three reports, at least).
std::int64_t StaleAfterMs(int rate);
// {"type": "status", ...}: state, age and counters of every source.
std::string StatusMessage(std::span<const SourceStatus> status, std::span<const SourceConfig> configs, int rate,
                          std::uint64_t sets, std::int64_t now_us);

// One decoded set for the page: the values of every present source.
struct SetValues {
  std::int64_t key = 0;
  std::int64_t time_us = 0;
  struct Pmu {
    std::uint16_t source = 0;
    std::uint16_t stat = 0;
    double freq = 0, rocof = 0;
    std::vector<float> phasors;   // magnitude, angle in degrees, ... (engineering units)
    std::vector<float> analogs;
    std::vector<std::uint16_t> digitals;
  };
  std::vector<Pmu> pmus;
};
// Decodes `frame` of `source` with its configuration into `out`; false when it does not fit.
bool DecodeForView(std::uint16_t source, std::span<const std::byte> frame, const SourceConfig& config,
                   p::DataFrame& scratch, SetValues::Pmu& out);
// {"type": "sets", "sets": [...]} of the sets whose key is a multiple of `decimate`.
std::string SetsMessage(std::span<const SetValues> sets, unsigned decimate);

// What the page may ask: "decimate N" (1 to 600: every Nth report). Throws
// std::invalid_argument naming what is wrong.
struct ClientCommand {
  unsigned decimate = 1;
};
ClientCommand ParseClientCommand(std::string_view text);
inline constexpr unsigned kMaxDecimate = 600;

}  // namespace pmu::pdc::view
