// Fuzzes the WebSocket opening handshake: the head reader over any cut of the stream,
// the server's request parser, the client's response check and the builders.
// Invariants, beyond "no crash":
//   - the reader takes a prefix of the stream that ends with the blank line, or stops
//     at exactly kMaxHandshakeSize bytes;
//   - every request gets one of the four responses, which the builders can write
//     within kMaxHandshakeResponseSize, and whose status line parses back;
//   - a 101 carries views into the head and a key of 16 bytes, and the request the
//     client builder writes from those values is accepted with the same values;
//   - a response the checker accepts has status 101.
// The parsers need no hash: websocket_accept.cc (SHA-1) is not compiled in.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "pmu/base/base64.h"
#include "pmu/proto/websocket_handshake.h"

namespace {

using namespace pmu;
using namespace pmu::proto::websocket;

constexpr std::string_view kSomeAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

void Require(bool ok) {
  if (!ok) std::abort();
}

bool Within(std::string_view view, ByteSpan head) {
  const char* begin = reinterpret_cast<const char*>(head.data());
  return view.empty() || (view.data() >= begin && view.data() + view.size() <= begin + head.size());
}

void CheckRequest(ByteSpan head) {
  const UpgradeRequest r = ParseUpgradeRequest(head);
  Require(r.reason != nullptr);
  char out[kMaxHandshakeResponseSize];
  std::size_t n = 0;
  switch (r.response) {
    case HttpStatus::kSwitchingProtocols: {
      Require(r.reason[0] == '\0');
      Require(Within(r.path, head) && Within(r.host, head) && Within(r.key, head) && Within(r.origin, head));
      Require(!r.path.empty() && !r.host.empty() && r.key.size() == kClientKeyLength);
      std::byte nonce[16];
      const Result<std::size_t> k = Base64Decode(r.key, nonce);
      Require(k.ok() && *k == 16);
      n = WriteAcceptResponse(kSomeAccept, out);
      Require(n > 0);
      Require(CheckUpgradeResponse(AsBytes(out, n), kSomeAccept).ok());
      // What the server accepted, the client builder reproduces (for origin-form
      // targets, the only ones it writes), and the server accepts again.
      if (r.path.front() == '/') {
        char request[kMaxHandshakeSize + 200];
        const std::size_t m = WriteUpgradeRequest(r.host, r.path, r.key, request);
        Require(m > 0);
        const UpgradeRequest again = ParseUpgradeRequest(AsBytes(request, m));
        if (m <= kMaxHandshakeSize) {
          Require(again.response == HttpStatus::kSwitchingProtocols);
          Require(again.path == r.path && again.host == r.host && again.key == r.key);
        }
      }
      break;
    }
    case HttpStatus::kBadRequest:
    case HttpStatus::kUpgradeRequired:
    case HttpStatus::kRequestHeaderFieldsTooLarge: {
      Require(r.reason[0] != '\0' && std::strlen(r.reason) <= kMaxRejectReason);
      n = WriteRejectResponse(r.response, r.reason, out);
      Require(n > 0);
      const Result<HttpStatusLine> line = ParseStatusLine(AsBytes(out, n));
      Require(line.ok() && line->code == static_cast<std::uint16_t>(r.response));
      Require(CheckUpgradeResponse(AsBytes(out, n), kSomeAccept).code() == StatusCode::kUnavailable);
      break;
    }
    default:
      std::abort();
  }
  Require(n <= kMaxHandshakeResponseSize);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::size_t chunk = (mode >> 1) % 32 + 1;
  const ByteSpan stream = AsBytes(data + 1, size - 1);

  if ((mode & 1) == 0) {
    // Server: collect the head from the stream as the device would, then parse it.
    static HttpHeadReader reader;  // 2 KiB: keep it off the fuzzer's stack
    reader.Reset();
    std::size_t used = 0;
    for (std::size_t pos = 0; pos < stream.size() && reader.state() == HttpHeadReader::State::kReading;
         pos += chunk) {
      const ByteSpan piece = stream.subspan(pos, std::min(chunk, stream.size() - pos));
      const std::size_t n = reader.Feed(piece);
      Require(n <= piece.size());
      used += n;
      if (n < piece.size()) Require(reader.state() != HttpHeadReader::State::kReading);
    }
    const ByteSpan head = reader.head();
    Require(head.size() == used && head.size() <= kMaxHandshakeSize);
    Require(head.empty() || std::memcmp(head.data(), stream.data(), head.size()) == 0);
    switch (reader.state()) {
      case HttpHeadReader::State::kComplete:
        Require(head.back() == std::byte{'\n'});
        CheckRequest(head);
        break;
      case HttpHeadReader::State::kTooLarge:
        Require(head.size() == kMaxHandshakeSize);
        break;
      case HttpHeadReader::State::kReading:
        Require(used == stream.size());
        break;
    }
    // The parser also takes any bytes as they are (incomplete, oversized, trailing).
    CheckRequest(stream);
  } else {
    // Client: the server's response.
    const Status s = CheckUpgradeResponse(stream, kSomeAccept);
    const Result<HttpStatusLine> line = ParseStatusLine(stream);
    if (s.ok()) Require(line.ok() && line->code == 101);
    if (line.ok()) Require(line->code <= 999);
    if (!s.ok()) Require(s.message()[0] != '\0');
  }
  return 0;
}
