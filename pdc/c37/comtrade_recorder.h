// What pdc c37 stream and concentrate receive, or what an archive kept (pdc archive
// export --format comtrade), written as a COMTRADE record
// (IEEE C37.111-2013, FLOAT32 data: PREFIX.cfg and PREFIX.dat), so that a recorded
// event opens in any COMTRADE viewer and plays again on a device (analog.source =
// comtrade; its channels "<station> VA mag" / "<station> VA ang" map themselves).
//
// One analog channel per value of every PMU block, in the blocks' order: each phasor
// as its magnitude (V or A, primary) and its angle (degrees), then the frequency (Hz),
// the ROCOF (Hz/s) and each analog value (engineering units), all scaled by the one
// rule of format.h. One record per reporting instant at the PMUs' data rate (nrates
// 1); an instant with no frame is a record of missing values (FLOAT32 NaN), so the
// record's time line has no gap. Time stamps in microseconds from the first record,
// whose UTC is the record's start time. The .cfg is rewritten with the count as the
// record grows (each second), and at the end.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pmu/proto/c37118.h"
#include "pmu/proto/comtrade.h"

namespace pmu::pdc::c37 {

// One PMU's channels, fixed when the record starts.
struct RecordedPmu {
  std::string station;
  std::vector<std::string> phasor_names;
  std::vector<bool> phasor_is_current;  // amperes, not volts
  std::vector<std::string> analog_names;
  double nominal_hz = 60;

  // The number of values a report of this PMU is: magnitude and angle of each phasor,
  // FREQ, ROCOF, each analog.
  std::size_t width() const { return 2 * phasor_names.size() + 2 + analog_names.size(); }
};

// One PMU block of a data frame to record: its configuration and its values
// (nullptr: missing at this instant).
struct RecordedBlock {
  const proto::c37118::ConfigFrame* config = nullptr;
  std::size_t pmu = 0;
  const proto::c37118::PmuData* data = nullptr;
};

// The channels of PMU block `pmu` of a configuration.
RecordedPmu DescribeForRecord(const proto::c37118::ConfigFrame& config, std::size_t pmu);

// UTC microseconds of a C37.118.2 time stamp, the fraction rounded to the microsecond.
std::int64_t RecordTimeUs(std::uint32_t soc, std::uint32_t fraction, std::uint32_t time_base);

class ComtradeRecorder {
 public:
  // Throws std::runtime_error when PREFIX.dat cannot be written.
  explicit ComtradeRecorder(std::string prefix);

  // Fixes the channels (every later record has the same layout), the record's rate and
  // its start: the instant of `first_us` (UTC microseconds).
  void Start(const std::vector<RecordedPmu>& pmus, int rate, std::int64_t first_us);
  bool started() const { return started_; }
  // One instant: for each PMU of Start, in order, its width() values in engineering
  // units (angles in degrees, NaN for a value not sent), or an empty span when it
  // has no report at this instant. Instants before the last one written are ignored.
  void Add(std::int64_t time_us, const std::vector<std::span<const double>>& values);

  // The same from C37.118.2 frames, scaled by the one rule of format.h. A block whose
  // configuration no longer has the layout Start saw records missing values.
  void Start(const std::vector<RecordedBlock>& blocks, int rate, std::uint32_t soc, std::uint32_t fraction,
             std::uint32_t time_base);
  void Add(const std::vector<RecordedBlock>& blocks, std::uint32_t soc, std::uint32_t fraction,
           std::uint32_t time_base);

  // The instant (reports since 1970 at the record's rate) of a time; Start first.
  std::int64_t InstantOf(std::int64_t time_us) const;

  // Writes the .cfg with the final count; closes the .dat.
  void Finish();

  std::uint64_t records() const { return records_; }
  std::uint64_t gap_records() const { return gaps_; }
  const std::string& prefix() const { return prefix_; }

 private:
  void WriteRecord(const std::vector<std::span<const double>>* values, std::uint64_t index);
  void WriteConfig();

  std::string prefix_;
  std::ofstream dat_;
  std::unique_ptr<proto::comtrade::Config> config_ = std::make_unique<proto::comtrade::Config>();
  std::vector<RecordedPmu> pmus_;
  std::vector<double> values_;
  std::vector<std::vector<double>> scratch_;  // a frame's values, per block
  bool started_ = false;
  int rate_ = 0;
  std::int64_t first_ = 0;  // the first instant: UTC seconds * rate + report within the second
  std::uint64_t records_ = 0, gaps_ = 0;
  std::uint64_t written_at_ = 0;  // records when the .cfg was last written
};

}  // namespace pmu::pdc::c37
