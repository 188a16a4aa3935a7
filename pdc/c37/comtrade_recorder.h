// What pdc c37 stream and concentrate receive, written as a COMTRADE record
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
#include <string>
#include <vector>

#include "pmu/proto/c37118.h"
#include "pmu/proto/comtrade.h"

namespace pmu::pdc::c37 {

// One PMU block of a data frame to record: its configuration and its values
// (nullptr: missing at this instant).
struct RecordedBlock {
  const proto::c37118::ConfigFrame* config = nullptr;
  std::size_t pmu = 0;
  const proto::c37118::PmuData* data = nullptr;
};

class ComtradeRecorder {
 public:
  // Throws std::runtime_error when PREFIX.dat cannot be written.
  explicit ComtradeRecorder(std::string prefix);

  // Fixes the channels from the blocks (every later record has the same layout) and
  // the record's rate and start (`soc` + `fraction`/`time_base` of its first instant).
  void Start(const std::vector<RecordedBlock>& blocks, int rate, std::uint32_t soc, std::uint32_t fraction,
             std::uint32_t time_base);
  bool started() const { return started_; }
  // One instant. A block whose configuration no longer has the layout Start saw
  // records missing values. Instants before the last one written are ignored.
  void Add(const std::vector<RecordedBlock>& blocks, std::uint32_t soc, std::uint32_t fraction,
           std::uint32_t time_base);
  // Writes the .cfg with the final count; closes the .dat.
  void Finish();

  std::uint64_t records() const { return records_; }
  std::uint64_t gap_records() const { return gaps_; }
  const std::string& prefix() const { return prefix_; }

 private:
  struct Layout {
    std::uint16_t phasors = 0;
    std::uint16_t analogs = 0;
  };
  void WriteRecord(const std::vector<RecordedBlock>* blocks, std::uint64_t index);
  void WriteConfig();
  std::int64_t InstantOf(std::uint32_t soc, std::uint32_t fraction, std::uint32_t time_base) const;

  std::string prefix_;
  std::ofstream dat_;
  std::unique_ptr<proto::comtrade::Config> config_ = std::make_unique<proto::comtrade::Config>();
  std::vector<Layout> layout_;
  std::vector<double> values_;
  bool started_ = false;
  int rate_ = 0;
  std::int64_t first_ = 0;  // the first instant: UTC seconds * rate + report within the second
  std::uint64_t records_ = 0, gaps_ = 0;
  std::uint64_t written_at_ = 0;  // records when the .cfg was last written
};

}  // namespace pmu::pdc::c37
