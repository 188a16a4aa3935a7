// The one command the page sends (messages.h). Pure: the fuzz target fuzz_view_command
// runs it.
#include <charconv>
#include <stdexcept>
#include <string>

#include "messages.h"

namespace pmu::pdc::view {

ClientCommand ParseClientCommand(std::string_view text) {
  constexpr std::string_view kDecimate = "decimate ";
  if (text.substr(0, kDecimate.size()) != kDecimate) {
    throw std::invalid_argument("unknown command (expected 'decimate N')");
  }
  const std::string_view number = text.substr(kDecimate.size());
  unsigned n = 0;
  const auto r = std::from_chars(number.data(), number.data() + number.size(), n);
  // One spelling per number: no sign, no leading zeros.
  if (number.empty() || r.ec != std::errc() || r.ptr != number.data() + number.size() ||
      (number.size() > 1 && number[0] == '0')) {
    throw std::invalid_argument("decimate takes a whole number");
  }
  if (n < 1 || n > kMaxDecimate) {
    throw std::invalid_argument("decimate takes 1 to " + std::to_string(kMaxDecimate));
  }
  return ClientCommand{n};
}

}  // namespace pmu::pdc::view
