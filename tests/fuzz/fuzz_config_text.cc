// Fuzzes the configuration text parser: any text gives a configuration or an error
// that names a line; an accepted configuration shows as text that parses back to the
// same values.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pmu/firmware/config.h"

namespace {
std::string Show(const pmu::firmware::DeviceConfig& c) {
  std::string out;
  pmu::firmware::ForEachConfigValue(
      c,
      [](void* ctx, const char* key, std::string_view value) {
        auto* s = static_cast<std::string*>(ctx);
        s->append(key).append(" = ").append(value).append("\n");
      },
      &out);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::firmware;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  DeviceConfig c;
  const ConfigError e = ParseConfigText(text, c);
  if (!e.ok()) {
    if (e.line == 0 || e.reason == nullptr) std::abort();
    return 0;
  }
  (void)ValidateConfig(c);
  const std::string shown = Show(c);
  DeviceConfig back;
  if (!ParseConfigText(shown, back).ok()) std::abort();
  if (Show(back) != shown) std::abort();
  return 0;
}
