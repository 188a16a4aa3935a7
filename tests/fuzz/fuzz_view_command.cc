// The one command the live view's page sends (pdc/view/command.cc): an accepted command
// is exactly "decimate N" with N in range, and reads back from its own text.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "view/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto c = pmu::pdc::view::ParseClientCommand(text);
    if (c.decimate < 1 || c.decimate > pmu::pdc::view::kMaxDecimate) std::abort();
    if ("decimate " + std::to_string(c.decimate) != text) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
