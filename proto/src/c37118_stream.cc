#include "pmu/proto/c37118_stream.h"

#include <algorithm>
#include <cstring>

namespace pmu::proto::c37118 {
namespace {

constexpr Status kLargerThanBuffer = ResourceExhausted("frame larger than the stream buffer");
constexpr Status kBufferTooSmall = ResourceExhausted("stream buffer smaller than 16 bytes");
constexpr std::size_t kPrefixSize = 4;  // SYNC and FRAMESIZE

std::size_t FindSync(ByteSpan bytes) {
  const auto it = std::find(bytes.begin(), bytes.end(), kSyncByte);
  return static_cast<std::size_t>(it - bytes.begin());
}

}  // namespace

void StreamDecoder::Drop(std::size_t n) {
  begin_ += n;
  if (begin_ == end_) begin_ = end_ = 0;
}

void StreamDecoder::Reject(Status why, bool counts_as_frame) {
  last_error_ = why;
  if (counts_as_frame) ++frames_rejected_;
  ++bytes_skipped_;
  Drop(1);
  frame_size_ = 0;
  state_ = State::kHunting;
}

bool StreamDecoder::Fill(std::size_t target, ByteSpan input, std::size_t& consumed) {
  const std::size_t held = end_ - begin_;
  if (held >= target) return true;
  const std::size_t n = std::min(target - held, input.size() - consumed);
  if (n == 0) return false;
  if (buffer_.size() - end_ < n) {
    // target <= capacity, so moving the candidate to the front always makes room.
    std::memmove(buffer_.data(), buffer_.data() + begin_, held);
    begin_ = 0;
    end_ = held;
  }
  std::memcpy(buffer_.data() + end_, input.data() + consumed, n);
  end_ += n;
  consumed += n;
  return end_ - begin_ >= target;
}

StreamDecoder::Output StreamDecoder::Feed(ByteSpan input) {
  Output out;
  if (returned_ > 0) {
    Drop(returned_);
    returned_ = 0;
  }
  if (buffer_.size() < kMinFrameSize) {
    bytes_skipped_ += input.size();
    out.consumed = input.size();
    if (!input.empty()) last_error_ = kBufferTooSmall;
    return out;
  }
  for (;;) {
    switch (state_) {
      case State::kHunting: {
        // Bytes kept from a rejected candidate first, then the input.
        const std::size_t held = end_ - begin_;
        const std::size_t k = FindSync(ByteSpan(buffer_).subspan(begin_, held));
        bytes_skipped_ += k;
        Drop(k);
        if (k == held) {
          const std::size_t j = FindSync(input.subspan(out.consumed));
          bytes_skipped_ += j;
          out.consumed += j;
          if (out.consumed == input.size()) return out;
        }
        state_ = State::kPrefix;
        break;
      }
      case State::kPrefix: {
        if (!Fill(kPrefixSize, input, out.consumed)) return out;
        const Result<std::uint16_t> size = CheckFramePrefix(ByteSpan(buffer_).subspan(begin_, kPrefixSize));
        if (!size.ok()) {
          // A bad FRAMESIZE after a valid SYNC word is a rejected frame; a bad SYNC
          // word is only garbage.
          Reject(size.status(), size.status().code() == StatusCode::kOutOfRange);
        } else if (*size > buffer_.size()) {
          Reject(kLargerThanBuffer, true);
        } else {
          frame_size_ = *size;
          state_ = State::kFrame;
        }
        break;
      }
      case State::kFrame: {
        if (!Fill(frame_size_, input, out.consumed)) return out;
        const Result<Frame> frame = ParseFrame(ByteSpan(buffer_).subspan(begin_, frame_size_));
        if (!frame.ok()) {
          Reject(frame.status(), true);
          break;
        }
        returned_ = frame_size_;
        frame_size_ = 0;
        state_ = State::kHunting;
        ++frames_decoded_;
        out.frame = *frame;
        return out;
      }
    }
  }
}

void StreamDecoder::Reset() {
  bytes_skipped_ += buffered();
  begin_ = end_ = returned_ = frame_size_ = 0;
  state_ = State::kHunting;
}

}  // namespace pmu::proto::c37118
