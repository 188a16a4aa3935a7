// Fuzzes the C37.118.2 stream decoder. However the stream is cut into reads, the
// decoder yields the same frames and counts as when it gets the stream in one read;
// every frame it yields passes ParseFrame (so has a good CHK), fits its buffer, and is
// a piece of the stream, in order; every byte is in a frame, skipped, or buffered.
//
// Input: a byte choosing the read sizes, a byte choosing the buffer capacity, then the
// stream.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "pmu/proto/c37118_stream.h"

namespace {

namespace c37 = pmu::proto::c37118;
using Bytes = std::vector<std::byte>;

void Require(bool ok) {
  if (!ok) std::abort();
}

struct Run {
  std::vector<Bytes> frames;
  std::uint64_t skipped = 0, rejected = 0, decoded = 0;
  std::size_t buffered = 0;
  pmu::StatusCode last_error = pmu::StatusCode::kOk;
};

// Feeds `stream` in reads of the sizes `next_read()` gives.
template <typename NextRead>
Run Decode(pmu::ByteSpan stream, std::size_t capacity, NextRead&& next_read) {
  static Bytes buffer(c37::kMaxFrameSize);
  c37::StreamDecoder decoder(pmu::MutableByteSpan(buffer).first(capacity));
  Run run;
  std::size_t pos = 0, in_frames = 0;
  while (pos < stream.size()) {
    pmu::ByteSpan input = stream.subspan(pos, std::min(next_read(), stream.size() - pos));
    pos += input.size();
    for (;;) {
      const c37::StreamDecoder::Output out = decoder.Feed(input);
      Require(out.consumed <= input.size());
      Require(out.frame.has_value() || out.consumed == input.size());
      input = input.subspan(out.consumed);
      if (!out.frame) break;
      const pmu::ByteSpan f = out.frame->bytes;
      Require(f.size() <= capacity);
      const pmu::Result<c37::Frame> again = c37::ParseFrame(f);
      Require(again.ok() && again->type == out.frame->type && again->idcode == out.frame->idcode);
      run.frames.emplace_back(f.begin(), f.end());
      in_frames += f.size();
    }
    Require(in_frames + decoder.bytes_skipped() + decoder.buffered() == pos);
  }
  run.skipped = decoder.bytes_skipped();
  run.rejected = decoder.frames_rejected();
  run.decoded = decoder.frames_decoded();
  run.buffered = decoder.buffered();
  run.last_error = decoder.last_error().code();
  Require(run.decoded == run.frames.size());
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t reads = data[0];
  // Half the inputs use a full-size buffer; the others one of 8 to 518 bytes, below
  // the 16-byte minimum included.
  const std::size_t capacity = data[1] < 128 ? c37::kMaxFrameSize : 8 + (data[1] - 128u) * 4;
  const pmu::ByteSpan stream(reinterpret_cast<const std::byte*>(data + 2), size - 2);

  const Run whole = Decode(stream, capacity, [&] { return stream.size(); });
  // Reads of 1 to 8 bytes in a pattern the first byte picks.
  std::uint32_t state = reads;
  const Run cut = Decode(stream, capacity, [&] {
    state = state * 1103515245u + 12345u;
    return std::size_t{(reads & 0x80) != 0 ? 1u : (state >> 16) % 8 + 1};
  });
  Require(cut.frames == whole.frames && cut.skipped == whole.skipped && cut.rejected == whole.rejected &&
          cut.buffered == whole.buffered && cut.last_error == whole.last_error);

  // The frames are pieces of the stream, in order and apart.
  auto at = stream.begin();
  for (const Bytes& f : whole.frames) {
    at = std::search(at, stream.end(), f.begin(), f.end());
    Require(at != stream.end());
    at += static_cast<std::ptrdiff_t>(f.size());
  }
  return 0;
}
