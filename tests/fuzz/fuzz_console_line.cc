// Fuzzes the console's line reader and line parser: any byte stream, cut anywhere,
// gives lines or error values; parsed words are non-empty, printable and inside the
// line, and RestFrom() is a suffix of the line.
#include <cstdint>
#include <cstdlib>

#include "pmu/proto/console_line.h"
#include "pmu/proto/line_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::proto;
  if (size == 0) return 0;
  const std::size_t chunk = data[0] % 32 + 1;
  const pmu::ByteSpan stream = pmu::AsBytes(data + 1, size - 1);
  LineReader<kMaxConsoleLine> reader;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const auto piece = stream.subspan(pos, std::min(chunk, stream.size() - pos));
    const std::size_t used = reader.Feed(piece);
    pos += used;
    if (reader.state() == LineState::kReading) continue;
    if (reader.state() == LineState::kComplete) {
      const auto line = ParseConsoleLine(reader.text());
      if (line.ok()) {
        for (std::size_t i = 0; i < line->count; ++i) {
          const std::string_view w = line->word(i);
          if (w.empty() || w.data() < line->text.data() || w.data() + w.size() > line->text.data() + line->text.size())
            std::abort();
          for (char c : w) {
            if (c <= 0x20 || c > 0x7E) std::abort();
          }
          const std::string_view rest = line->RestFrom(i);
          if (rest.substr(0, w.size()) != w || rest.data() + rest.size() != line->text.data() + line->text.size())
            std::abort();
        }
      }
    }
    reader.Reset();
    if (used == 0) ++pos;  // an over-long line: skip a byte, as the console skips to the line end
  }
  return 0;
}
