// Cuts C37.118.2 frames out of a byte stream (TCP 4712): any split of the stream, down
// to one byte per read, several frames per read, and garbage between frames.
//
// An explicit state machine over a caller-owned buffer:
//   kHunting   skip bytes up to a 0xAA;
//   kPrefix    collect SYNC and FRAMESIZE (4 bytes) and check them (CheckFramePrefix);
//   kFrame     collect FRAMESIZE bytes and check the frame (ParseFrame, CHK included).
// A candidate that fails a check is dropped one byte at a time: the decoder discards
// its 0xAA and hunts again through the bytes it already holds, so a real frame that
// began inside a false one (a stray 0xAA in garbage, a frame with a bad CHK) is still
// found. Only frames that pass ParseFrame come out.
//
// Capacity: the buffer holds one frame, so a frame larger than the buffer is rejected
// (kResourceExhausted) and skipped like garbage. kMaxFrameSize (65535) bytes accept
// every legal frame (the PDC); a device that only receives commands can use a few
// hundred bytes. A rejected candidate costs one CHK pass over at most the buffer, so
// a peer that sends crafted garbage can make the decoder do up to capacity/4 CRC
// bytes of work per byte it sends; a smaller buffer bounds that.
//
// Not thread-safe; one decoder per connection. No heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "pmu/base/bytes.h"
#include "pmu/base/status.h"
#include "pmu/proto/c37118.h"

namespace pmu::proto::c37118 {

class StreamDecoder {
 public:
  struct Output {
    std::size_t consumed = 0;    // bytes of the input this call used
    std::optional<Frame> frame;  // a complete, checked frame, if one ended
  };

  // `buffer` must outlive the decoder; frames larger than it are rejected. A buffer
  // smaller than kMinFrameSize rejects every frame.
  explicit StreamDecoder(MutableByteSpan buffer) : buffer_(buffer) {}
  StreamDecoder(const StreamDecoder&) = delete;
  StreamDecoder& operator=(const StreamDecoder&) = delete;

  // Consumes `input` up to the end of the first complete frame. Returns the frame
  // (its views point into the decoder's buffer and stay valid until the next Feed()
  // or Reset()) and how many input bytes were used. A call that returns no frame has
  // used all of `input`. Bytes kept from a rejected candidate may hold more frames,
  // so call again, with the rest of the input or with none, until no frame comes out:
  //
  //   for (;;) {
  //     const auto out = decoder.Feed(input);
  //     input = input.subspan(out.consumed);
  //     if (!out.frame) break;
  //     Handle(*out.frame);
  //   }
  Output Feed(ByteSpan input);

  // Forgets any partial frame (e.g. on a new connection). Counters are kept.
  void Reset();

  std::size_t capacity() const { return buffer_.size(); }
  // Bytes held that are not yet part of a returned frame.
  std::size_t buffered() const { return end_ - begin_ - returned_; }

  // Every byte fed is eventually in a returned frame, skipped, or still buffered.
  std::uint64_t frames_decoded() const { return frames_decoded_; }
  std::uint64_t bytes_skipped() const { return bytes_skipped_; }
  // Candidates that began with a valid SYNC word but had a bad FRAMESIZE, were larger
  // than the buffer, or failed ParseFrame (bad CHK).
  std::uint64_t frames_rejected() const { return frames_rejected_; }
  // Why the last candidate was dropped (Ok if none was): a ParseFrame error, or
  // ResourceExhausted "frame larger than the stream buffer".
  Status last_error() const { return last_error_; }

 private:
  enum class State : std::uint8_t { kHunting, kPrefix, kFrame };

  // Drops `n` bytes from the front of the held bytes.
  void Drop(std::size_t n);
  // Drops the candidate's first byte and hunts again through the rest.
  void Reject(Status why, bool counts_as_frame);
  // Copies input until `target` bytes are held; returns whether they are.
  bool Fill(std::size_t target, ByteSpan input, std::size_t& consumed);

  MutableByteSpan buffer_;
  // Held bytes are buffer_[begin_, end_); a candidate starts at begin_.
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t returned_ = 0;  // size of the frame returned by the last Feed()
  std::size_t frame_size_ = 0;
  State state_ = State::kHunting;
  std::uint64_t frames_decoded_ = 0;
  std::uint64_t bytes_skipped_ = 0;
  std::uint64_t frames_rejected_ = 0;
  Status last_error_;
};

}  // namespace pmu::proto::c37118
