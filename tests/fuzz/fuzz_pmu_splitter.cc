// Fuzzes the PMU message splitter: whatever the stream and however it is cut, the
// segments put back together are the stream, and none is longer than the bound.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pmu/proto/pmu_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::proto;
  if (size == 0) return 0;
  const std::size_t chunk = data[0] % 32 + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string joined;
  PmuMessageSplitter splitter;
  auto emit = [&](std::string_view m) {
    if (m.empty() || m.size() > PmuMessageSplitter::kMaxSegment) std::abort();
    (void)ParsePmuMessage(m);
    joined.append(m);
  };
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    splitter.Feed(pmu::AsBytes(stream.substr(pos, chunk)), emit);
  }
  splitter.Finish(emit);
  if (joined != stream) std::abort();
  return 0;
}
