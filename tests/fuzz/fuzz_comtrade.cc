// Fuzzes the COMTRADE parsers: the input is a .cff-like text (a .cfg, then optionally a
// DAT section whose records are decoded in the configuration's format). No crash, no
// undefined behaviour; an accepted configuration writes back to text that parses to
// the same counts, format and sample count.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pmu/proto/comtrade.h"

namespace {

using namespace pmu::proto::comtrade;

Config g_config;
Config g_again;
double g_values[kMaxAnalog];

void CheckRewrite(const Config& c) {
  static char text[96 * 1024];
  const auto n = WriteConfig(c, text);
  if (!n.ok()) return;  // channel names longer than the buffer allows
  if (!ParseConfig(std::string_view(text, *n), g_again).ok()) std::abort();
  if (g_again.analog_count != c.analog_count || g_again.digital_count != c.digital_count ||
      g_again.format != c.format || g_again.sample_count() != c.sample_count() || g_again.revision != c.revision) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ConfigParser parser(g_config);
  std::uint32_t line_no = 0;
  bool dat = false;
  CffHeader header;
  while (!text.empty()) {
    // Lines end at CR or LF, as the device's and ParseConfig's readers end them.
    const std::size_t end = text.find_first_of("\r\n");
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    Error e;
    if (ParseCffHeader(line, header, e)) {
      if (!e.ok()) return 0;
      if (header.section == CffSection::kDat) {
        dat = true;
        break;
      }
      continue;
    }
    if (!parser.Line(line).ok()) return 0;
  }
  if (!parser.Finish().ok()) return 0;
  CheckRewrite(g_config);
  if (!dat) return 0;
  Record r{0, -1, std::span<double>(g_values, kMaxAnalog)};
  if (g_config.format == Format::kAscii) {
    std::uint32_t n = 0;
    while (!text.empty()) {
      const std::size_t end = text.find('\n');
      (void)DecodeAsciiRecord(g_config, text.substr(0, end), ++n, r);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
  } else {
    const std::size_t size_of = BinaryRecordSize(g_config);
    for (std::uint32_t n = 1; size_of > 0 && text.size() >= size_of; ++n) {
      (void)DecodeBinaryRecord(g_config, pmu::AsBytes(text.substr(0, size_of)), n, r);
      text.remove_prefix(size_of);
    }
  }
  return 0;
}
