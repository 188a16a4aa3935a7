// Fuzzes the command reader and grammar: any byte stream, cut anywhere, must give a
// command or an error value, never a crash; a parsed command must format back to
// text that parses to the same command.
#include <cstdint>
#include <cstdlib>

#include "pmu/proto/command.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::proto;
  if (size == 0) return 0;
  // The first byte chooses how the stream is cut into reads.
  const std::size_t chunk = data[0] % 16 + 1;
  const pmu::ByteSpan stream = pmu::AsBytes(data + 1, size - 1);
  CommandReader reader;
  for (std::size_t pos = 0; pos < stream.size() && reader.state() == LineState::kReading; pos += chunk) {
    const auto piece = stream.subspan(pos, std::min(chunk, stream.size() - pos));
    const std::size_t used = reader.Feed(piece);
    if (used > piece.size()) std::abort();
  }
  if (reader.text().size() > kMaxCommandLength) std::abort();
  const pmu::Result<Command> cmd = ParseCommand(reader.text());
  if (cmd.ok()) {
    char buf[64];
    const std::size_t n = FormatCommand(*cmd, buf);
    if (n == 0) std::abort();
    const pmu::Result<Command> again = ParseCommand(std::string_view(buf, n));
    if (!again.ok() || !(*again == *cmd)) std::abort();
    if (cmd->kind == CommandKind::kShort && cmd->delay_ms > kMaxShortDelayMs) std::abort();
  }
  return 0;
}
