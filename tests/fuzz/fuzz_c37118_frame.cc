// Fuzzes the C37.118.2 frame decoders. Whatever decodes must encode back to the same
// bytes, with the size the size functions give; nothing that fails may crash.
//
// Input: a mode byte, then the frame bytes. Mode bit 0: the fuzzer sets FRAMESIZE and
// CHK of each frame itself, so that mutations get past the CRC to the payload checks.
// Mode bit 1: the bytes are a configuration frame (as long as its FRAMESIZE says)
// followed by a data frame read with it. A lone data frame is read with each of the
// configurations of the known-answer vectors (tests/data/c37118).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "pmu/proto/c37118.h"

namespace {

namespace c37 = pmu::proto::c37118;
using Bytes = std::vector<std::byte>;

void Require(bool ok) {
  if (!ok) std::abort();
}

Bytes FromHex(std::string_view hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    auto nibble = [](char ch) { return ch <= '9' ? ch - '0' : ch - 'a' + 10; };
    out.push_back(static_cast<std::byte>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

// The configurations of the known-answer vectors (tests/data/c37118/vectors.json), for lone
// data frames. Their names are views into these bytes, which live as long as the
// process.
const std::vector<c37::ConfigFrame>& KnownConfigs() {
  static const std::vector<Bytes> frames = {
      FromHex("aa3101c61e36448527f056071098000f4240000153746174696f6e2041202020202020201e360004000400030001"
              "5641202020202020202020202020202056422020202020202020202020202020564320202020202020202020202020"
              "2049312020202020202020202020202020414e414c4f4731202020202020202020414e414c4f473220202020202020"
              "2020414e414c4f4733202020202020202020425245414b4552203120535441545553425245414b455220322053544154"
              "5553425245414b4552203320535441545553425245414b4552203420535441545553425245414b455220352053544154"
              "5553425245414b4552203620535441545553425245414b4552203720535441545553425245414b455220382053544154"
              "5553425245414b4552203920535441545553425245414b4552204120535441545553425245414b455220422053544154"
              "5553425245414b4552204320535441545553425245414b4552204420535441545553425245414b455220452053544154"
              "5553425245414b4552204620535441545553425245414b4552204720535441545553000df847000df847000df8470100"
              "b2d00000000101000001020000010000ffff00000016001ed5d1"),
      FromHex("aa31008600f14893344a0019999a00ffffff0001426c756520504d55202020202020202000f100060004000000005631"
              "4c504d202020202020202020202056414c504d202020202020202020202056424c504d202020202020202020202056"
              "434c504d202020202020202020202000000001000000010000000100000001000100590032c1e2"),
      FromHex("aa310176003c489337430007ef40000f42400001504d5531202020202020202020202020003d00070003000000015641"
              "20202020202020202020202020205642202020202020202020202020202056432020202020202020202020202020446967"
              "204368616e6e656c2031202020446967204368616e6e656c2032202020446967204368616e6e656c2033202020446967"
              "204368616e6e656c2034202020446967204368616e6e656c2035202020446967204368616e6e656c2036202020446967"
              "204368616e6e656c2037202020446967204368616e6e656c2038202020446967204368616e6e656c2039202020446967"
              "204368616e6e656c2031302020446967204368616e6e656c2031312020446967204368616e6e656c2031322020446967"
              "204368616e6e656c2031332020446967204368616e6e656c2031342020446967204368616e6e656c2031352020446967"
              "204368616e6e656c2031362020000004c4000004c4000004c40000000000010001003281d2"),
      FromHex("aa52011d1e36448527f0000710980000000f424000010953746174696f6e20411e36000102030405060708090a0b0c0d"
              "0e0f000400040003000102564102564202564302493107414e414c4f473107414e414c4f473207414e414c4f47330442"
              "524b300442524b310442524b320442524b330442524b340442524b350442524b360442524b370442524b380442524b39"
              "0542524b31300542524b31310542524b31320542524b31330542524b31340542524b31350000040041127bfc00000000"
              "0000050041127bfc000000000000060041127bfc0000000000000c003eea5f85000000003f800000000000003f800000"
              "000000003f800000000000000000ffff423a000040d3333343fa00004d0001388000009c4000000016001ea649"),
  };
  static const std::vector<c37::ConfigFrame> configs = [] {
    std::vector<c37::ConfigFrame> out;
    for (const Bytes& f : frames) {
      out.emplace_back();
      Require(c37::DecodeConfig(f, out.back()).ok());
    }
    return out;
  }();
  return configs;
}

void FixFrame(Bytes& f) {
  if (f.size() < c37::kMinFrameSize || f.size() > c37::kMaxFrameSize) return;
  pmu::StoreBe16(f.data() + 2, static_cast<std::uint16_t>(f.size()));
  pmu::StoreBe16(f.data() + f.size() - 2, c37::Crc16Ccitt(pmu::ByteSpan(f).first(f.size() - 2)));
}

bool Same(pmu::ByteSpan a, pmu::ByteSpan b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// A data frame that decodes with `config` encodes back to itself.
void CheckData(const c37::Frame& frame, const c37::ConfigFrame& config) {
  static c37::DataFrame data;
  if (!c37::DecodeData(frame, config, data).ok()) return;
  Require(c37::DataFrameSize(config).value_or(0) == frame.bytes.size());
  static Bytes out(c37::kMaxFrameSize);
  const pmu::Result<std::size_t> n = c37::EncodeData(data, config, out);
  Require(n.ok() && Same(pmu::ByteSpan(out).first(*n), frame.bytes));
  for (std::size_t p = 0; p < config.pmu_count; ++p) {
    for (std::size_t i = 0; i < config.pmus[p].phasor_count; ++i) {
      Require(c37::ScalePhasor(config, p, i, data.pmus[p].phasors[i]).ok());
    }
    Require(c37::FrequencyHz(config, p, data.pmus[p]).ok());
    Require(c37::RocofHzPerSecond(config, p, data.pmus[p]).ok());
  }
}

// Decodes one frame; returns the configuration it holds, if it is one.
const c37::ConfigFrame* CheckFrame(const Bytes& bytes) {
  const pmu::Result<c37::Frame> frame = c37::ParseFrame(bytes);
  if (!frame.ok()) return nullptr;
  Require(frame->bytes.data() == bytes.data() && frame->bytes.size() == bytes.size());
  Require(pmu::LoadBe16(bytes.data() + bytes.size() - 2) ==
          c37::Crc16Ccitt(pmu::ByteSpan(bytes).first(bytes.size() - 2)));
  static Bytes out(c37::kMaxFrameSize);
  switch (frame->type) {
    case c37::FrameType::kCommand: {
      const pmu::Result<c37::CommandFrame> cmd = c37::DecodeCommand(*frame);
      if (!cmd.ok()) return nullptr;
      const pmu::Result<std::size_t> n = c37::EncodeCommand(*cmd, out);
      Require(n.ok() && *n == cmd->encoded_size() && Same(pmu::ByteSpan(out).first(*n), bytes));
      return nullptr;
    }
    case c37::FrameType::kHeader: {
      const pmu::Result<c37::HeaderFrame> hdr = c37::DecodeHeader(*frame);
      if (!hdr.ok()) return nullptr;
      const pmu::Result<std::size_t> n = c37::EncodeHeader(*hdr, out);
      Require(n.ok() && *n == hdr->encoded_size() && Same(pmu::ByteSpan(out).first(*n), bytes));
      return nullptr;
    }
    case c37::FrameType::kConfig1:
    case c37::FrameType::kConfig2:
    case c37::FrameType::kConfig3: {
      static c37::ConfigFrame config;
      if (!c37::DecodeConfig(*frame, config).ok()) return nullptr;
      Require(c37::EncodedConfigSize(config).value_or(0) == bytes.size());
      const pmu::Result<std::size_t> n = c37::EncodeConfig(config, out);
      Require(n.ok() && Same(pmu::ByteSpan(out).first(*n), bytes));
      // Its data frames have a size, and the encoder refuses a buffer one byte short.
      const pmu::Result<std::size_t> data_size = c37::DataFrameSize(config);
      Require(data_size.ok() || data_size.status().code() == pmu::StatusCode::kInvalidArgument);
      Require(c37::EncodeConfig(config, pmu::MutableByteSpan(out).first(*n - 1)).status().code() ==
              pmu::StatusCode::kResourceExhausted);
      return &config;
    }
    case c37::FrameType::kData:
      for (const c37::ConfigFrame& config : KnownConfigs()) CheckData(*frame, config);
      return nullptr;
  }
  std::abort();  // ParseFrame returned a type it does not define
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  Bytes first(reinterpret_cast<const std::byte*>(data + 1), reinterpret_cast<const std::byte*>(data + size));
  Bytes second;
  if ((mode & 2) != 0 && first.size() >= 4) {
    const std::size_t n = pmu::LoadBe16(first.data() + 2);
    if (n <= first.size()) {
      second.assign(first.begin() + static_cast<std::ptrdiff_t>(n), first.end());
      first.resize(n);
    }
  }
  if ((mode & 1) != 0) {
    FixFrame(first);
    FixFrame(second);
  }
  const c37::ConfigFrame* config = CheckFrame(first);
  if (second.empty()) return 0;
  if (config == nullptr) {
    (void)CheckFrame(second);
    return 0;
  }
  const pmu::Result<c37::Frame> frame = c37::ParseFrame(second);
  if (frame.ok()) {
    CheckData(*frame, *config);
    if (config->type == c37::FrameType::kConfig1) {
      static c37::DataFrame unused;
      Require(!c37::DecodeData(*frame, *config, unused).ok());
    }
  }
  return 0;
}
