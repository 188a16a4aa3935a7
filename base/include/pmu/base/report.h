// The statistics report is made of parts, each owned by the object whose counters it
// shows (the network stack, each service, the measurement): the device lists its
// parts and asks each for its lines in turn, so no object has to know another's
// counters. Lines are produced on demand into a caller's buffer, so a report of any
// length needs no memory beyond one line.
#pragma once

#include <cstddef>
#include <span>

#include "pmu/base/fixed_string.h"

namespace pmu {

using ReportLine = FixedString<220>;

class StatsReporter {
 public:
  // Writes line `index` of this part of the report into `line` (empty on entry);
  // false past the last line.
  virtual bool StatsLine(std::size_t index, ReportLine& line) const = 0;

 protected:
  // Not deleted through this interface (the firmware allocates nothing).
  ~StatsReporter() = default;
};

}  // namespace pmu

namespace pmu {

// Reads a report made of parts line by line, in order, ending with "end of report".
// Going back (a line index below the last one read) starts over from the first part.
class ReportReader {
 public:
  ReportReader() = default;
  explicit ReportReader(std::span<const StatsReporter* const> parts) : parts_(parts) {}

  // Line `index` of the whole report into `line` (cleared first); false past the end.
  bool Line(std::size_t index, ReportLine& line) {
    if (index < next_) *this = ReportReader(parts_);
    while (part_ < parts_.size()) {
      line.clear();
      if (!parts_[part_]->StatsLine(local_, line)) {
        ++part_;
        local_ = 0;
        continue;
      }
      ++local_;
      if (next_++ == index) return true;
    }
    line.clear();
    if (ended_ || next_ != index) return false;
    ended_ = true;
    ++next_;
    line.Append("end of report");
    return true;
  }

 private:
  std::span<const StatsReporter* const> parts_;
  std::size_t part_ = 0;   // the part being read
  std::size_t local_ = 0;  // its next line
  std::size_t next_ = 0;   // the report's next line
  bool ended_ = false;     // "end of report" was read
};

}  // namespace pmu
