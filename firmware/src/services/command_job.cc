#include "pmu/firmware/services/command_job.h"

#include <algorithm>
#include <cstring>

#include "pmu/base/civil_time.h"
#include "pmu/proto/floodme.h"

namespace pmu::firmware {

void CommandJob::Start(std::string_view text, const CommandLimits& limits, std::uint64_t now_ms,
                       std::int64_t utc_ns) {
  const Result<proto::Command> parsed = proto::ParseCommand(text);
  if (!parsed.ok()) {
    StartError(parsed.status().message(), limits);
    return;
  }
  limits_ = limits;
  command_ = *parsed;
  done_ = false;
  messages_completed_ = 0;
  bytes_consumed_ = 0;
  ready_at_ms_ = now_ms;
  switch (command_.kind) {
    case proto::CommandKind::kShort:
      outcome_ = Outcome::kShort;
      NextShortMessage();
      break;
    case proto::CommandKind::kFloodme: {
      const std::uint64_t size = command_.size == 0 ? limits.floodme_default : command_.size;
      if (size > limits.floodme_max) {
        StartError("bad size: larger than this device's CMD_floodme limit", limits);
        return;
      }
      outcome_ = Outcome::kFloodme;
      command_.size = size;
      (void)sha_.Finish();  // start from a clean hash state
      BeginMessage(size);
      break;
    }
    case proto::CommandKind::kTime:
      if (!limits.allow_time) {
        StartError("CMD_time is served over TLS only (port 5007)", limits);
        return;
      }
      outcome_ = Outcome::kTime;
      text_.clear();
      text_.Append(FormatIso8601(utc_ns, 6).view());
      text_.Append('\n');
      BeginMessage(text_.size());
      break;
  }
}

void CommandJob::StartError(std::string_view reason, const CommandLimits& limits) {
  limits_ = limits;
  command_ = {};
  outcome_ = Outcome::kError;
  done_ = false;
  messages_completed_ = 0;
  bytes_consumed_ = 0;
  ready_at_ms_ = 0;
  text_.clear();
  text_.Append("ERROR ");
  text_.Append(reason);
  if (limits.error_line_feed) text_.Append('\n');
  BeginMessage(text_.size());
}

std::string_view CommandJob::error_reason() const {
  if (outcome_ != Outcome::kError) return {};
  constexpr std::string_view kPrefix = "ERROR ";
  std::string_view reason = text_.view().substr(kPrefix.size());
  if (!reason.empty() && reason.back() == '\n') reason.remove_suffix(1);
  return reason;
}

void CommandJob::BeginMessage(std::uint64_t length) {
  message_length_ = length;
  message_offset_ = 0;
}

void CommandJob::NextShortMessage() {
  char buf[proto::kMaxPmuMessageLength + 1];
  const std::size_t n = proto::FormatPmuMessage(messages_completed_ + 1, buf);
  text_.clear();
  text_.Append(std::string_view(buf, n));
  BeginMessage(n);
}

bool CommandJob::pause_after_message() const {
  return outcome_ == Outcome::kShort && command_.delay_ms > 0 &&
         messages_completed_ + 1 < limits_.short_count;
}

std::size_t CommandJob::Peek(MutableByteSpan out) const {
  if (done_) return 0;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), message_remaining()));
  if (outcome_ == Outcome::kFloodme) {
    proto::FloodmeFill(message_offset_, out.first(n));
  } else {
    std::memcpy(out.data(), text_.c_str() + message_offset_, n);
  }
  return n;
}

void CommandJob::Consume(ByteSpan written, std::uint64_t now_ms) {
  if (done_) return;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(written.size(), message_remaining()));
  if (outcome_ == Outcome::kFloodme) sha_.Update(written.first(n));
  message_offset_ += n;
  bytes_consumed_ += n;
  if (message_remaining() > 0) return;

  ++messages_completed_;
  switch (outcome_) {
    case Outcome::kShort:
      if (messages_completed_ >= limits_.short_count) {
        done_ = true;
      } else {
        ready_at_ms_ = now_ms + command_.delay_ms;
        NextShortMessage();
      }
      break;
    case Outcome::kFloodme:
      digest_ = sha_.Finish();
      done_ = true;
      break;
    case Outcome::kTime:
    case Outcome::kError:
      done_ = true;
      break;
  }
}

}  // namespace pmu::firmware
