// The PMU's playback front ends (analog.source = comtrade or scenario): what the
// board's playback area (the simulator: the configured file) holds is loaded once at
// each measurement start.
#include "pmu/base/civil_time.h"
#include "pmu/firmware/measurement/pmu_unit.h"
#include "pmu/firmware/measurement/storage_lines.h"

namespace pmu::firmware {
namespace {

constexpr const char* kTag = "pmu";
constexpr std::int64_t kNsPerSecond = 1'000'000'000;

// The sample nearest `utc_ns` (a time given in decimals, like .033333 s for 80 samples,
// means that sample, not the one before it).
std::int64_t SampleOf(std::int64_t utc_ns) {
  const std::int64_t sec = utc_ns / kNsPerSecond;  // times here are after 1970
  return sec * kSampleRate + ((utc_ns - sec * kNsPerSecond) * kSampleRate + kNsPerSecond / 2) / kNsPerSecond;
}

// The scenario's text, line by line out of the playback store.
Status LoadScenario(hal::Storage& store, Scenario& scenario, FixedString<160>& why) {
  static char line_buffer[512];  // main loop only
  ScenarioParser parser(scenario);
  StorageLines lines(store, 0, store.size(), line_buffer);
  for (unsigned n = 1;; ++n) {
    std::string_view line;
    bool at_end = false;
    if (Status s = lines.Next(line, at_end); !s.ok()) {
      why.clear();
      why.Format("scenario line %u: %s", n, s.message());
      return s;
    }
    if (at_end) break;
    if (const ScenarioError e = parser.Line(line); !e.ok()) {
      why = DescribeScenarioError(e);
      return InvalidArgument("bad scenario");
    }
  }
  if (const ScenarioError e = parser.Finish(); !e.ok()) {
    why = DescribeScenarioError(e);
    return InvalidArgument("bad scenario");
  }
  return Status::Ok();
}

}  // namespace

Status PmuUnit::StartPlayback(const MeasurementConfig& config, std::int64_t second_start) {
  const PlaybackConfig& p = config_.playback;
  const C37Config& c = config.c37;
  if (playback_ == nullptr) {
    PMU_LOG_ERROR(log_, kTag, "analog.source = %s, but this board holds nothing to play (the simulator: %s)",
                  AnalogSourceName(p.source), p.source == AnalogSource::kComtrade ? "comtrade.file" : "scenario.file");
    return FailedPrecondition("nothing to play");
  }
  if (p.source == AnalogSource::kScenario) {
    static Scenario scenario;  // 4 KiB: static, main loop only
    FixedString<160> why;
    if (Status s = LoadScenario(*playback_, scenario, why); !s.ok()) {
      PMU_LOG_ERROR(log_, kTag, "%s", why.c_str());
      return s;
    }
    if (scenario.nominal_hz != c.nominal_hz) {
      PMU_LOG_ERROR(log_, kTag, "the scenario is at %u Hz, c37.nominal_hz is %u",
                    static_cast<unsigned>(scenario.nominal_hz), static_cast<unsigned>(c.nominal_hz));
      return InvalidArgument("nominal frequencies differ");
    }
    const std::size_t bus = scenario.FindBus(p.scenario_bus.view());
    if (bus >= scenario.bus_count) {
      PMU_LOG_ERROR(log_, kTag, "scenario.bus = %s: the scenario has no such bus (%u buses)", p.scenario_bus.c_str(),
                    static_cast<unsigned>(scenario.bus_count));
      return InvalidArgument("no such bus");
    }
    PMU_TRY(scenario_.Configure(scenario, bus, SampleOf(p.scenario_start_ns)));
    front_end_ = &scenario_;
    PMU_LOG_INFO(log_, kTag, "scenario: bus %u (%s) of %u, time zero %s", static_cast<unsigned>(bus + 1),
                 scenario.buses[bus].name.c_str(), static_cast<unsigned>(scenario.bus_count),
                 FormatIso8601(p.scenario_start_ns, 3).c_str());
    return Status::Ok();
  }
  PlaybackSettings settings;
  settings.channels = p.channels;
  settings.start = p.comtrade_start_ns < 0 ? second_start : SampleOf(p.comtrade_start_ns);
  settings.end = p.comtrade_end;
  settings.nominal_hz = c.nominal_hz;
  PlaybackError why;
  if (Status s = comtrade_.Load(*playback_, settings, why); !s.ok()) {
    PMU_LOG_ERROR(log_, kTag, "COMTRADE record refused: %s", why.c_str());
    return s;
  }
  front_end_ = &comtrade_;
  const proto::comtrade::Config& r = comtrade_.record();
  PMU_LOG_INFO(log_, kTag, "COMTRADE %s %s record of %s/%s: %u analog channels, %llu samples, %.3f s played as %s, "
               "from %s, then %s",
               proto::comtrade::RevisionName(r.revision), proto::comtrade::FormatName(r.format), r.station.c_str(),
               r.device.c_str(), static_cast<unsigned>(r.analog_count),
               static_cast<unsigned long long>(r.sample_count()), static_cast<double>(comtrade_.length()) / kSampleRate,
               comtrade_.phasors() ? "phasors" : "samples",
               FormatIso8601(comtrade_.start() / kSampleRate * kNsPerSecond +
                                 comtrade_.start() % kSampleRate * kNsPerSecond / kSampleRate, 3).c_str(),
               PlaybackEndName(p.comtrade_end));
  return Status::Ok();
}

}  // namespace pmu::firmware
