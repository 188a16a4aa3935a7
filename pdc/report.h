// The summary a PDC subcommand prints when it is done: one human-readable line on
// standard error, or (with --json) one JSON object on standard output, so scripts get
// machine-readable results and the data itself stays alone on standard output.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace pmu::pdc {

// The --json help of the subcommands whose summary is the one JSON object they print.
inline constexpr const char* kJsonSummaryHelp = "print the summary as one JSON object on standard output";

class Report {
 public:
  using Value = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;

  Report& Add(const std::string& key, Value value) {
    fields_.emplace_back(key, std::move(value));
    return *this;
  }
  // Prints `human` (a sentence built by the caller) to stderr, or every field as JSON
  // to stdout.
  void Print(bool json, const std::string& human) const;

  static std::string JsonEscape(const std::string& s);

 private:
  std::vector<std::pair<std::string, Value>> fields_;
};

// Numbers as the human summaries write them: "0.250" for FormatFixed(0.25, 3).
std::string FormatFixed(double value, int digits);
inline double ToSeconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace pmu::pdc
