// Status: the result of an operation that returns no value.
//
// Errors are values, because the firmware has no exceptions: a small fixed set of
// codes plus a message that points to static storage (string literals), so a Status
// is two words, never allocates, and may be returned from any context, including the
// firmware's.
#pragma once

#include <cstdint>

namespace pmu {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,    // the caller's input is malformed
  kOutOfRange,         // well-formed but outside the allowed range
  kResourceExhausted,  // a pool, buffer or queue is full; retry later may work
  kUnavailable,        // the peer or device is not there (link down, refused)
  kDeadlineExceeded,   // a time limit passed
  kDataLoss,           // data was corrupted (bad check word) or truncated
  kFailedPrecondition, // called in the wrong state
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kAborted,
  kUnimplemented,
  kInternal,
};

// Returns a stable lower-case name for the code, e.g. "invalid argument".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  // `message` must have static storage duration (a string literal).
  constexpr Status(StatusCode code, const char* message) : code_(code), message_(message) {}

  static constexpr Status Ok() { return Status(); }

  constexpr bool ok() const { return code_ == StatusCode::kOk; }
  constexpr StatusCode code() const { return code_; }
  // Never null; empty for Ok.
  constexpr const char* message() const { return message_; }

  // Explicitly discards a status whose failure is handled elsewhere.
  constexpr void IgnoreError() const {}

  friend constexpr bool operator==(const Status& a, const Status& b) { return a.code_ == b.code_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  const char* message_ = "";
};

constexpr Status InvalidArgument(const char* m) { return {StatusCode::kInvalidArgument, m}; }
constexpr Status OutOfRange(const char* m) { return {StatusCode::kOutOfRange, m}; }
constexpr Status ResourceExhausted(const char* m) { return {StatusCode::kResourceExhausted, m}; }
constexpr Status Unavailable(const char* m) { return {StatusCode::kUnavailable, m}; }
constexpr Status DeadlineExceeded(const char* m) { return {StatusCode::kDeadlineExceeded, m}; }
constexpr Status DataLoss(const char* m) { return {StatusCode::kDataLoss, m}; }
constexpr Status FailedPrecondition(const char* m) { return {StatusCode::kFailedPrecondition, m}; }
constexpr Status NotFound(const char* m) { return {StatusCode::kNotFound, m}; }
constexpr Status Internal(const char* m) { return {StatusCode::kInternal, m}; }

}  // namespace pmu

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define PMU_TRY(expr)                          \
  do {                                         \
    ::pmu::Status pmu_try_status_ = (expr);    \
    if (!pmu_try_status_.ok()) return pmu_try_status_; \
  } while (0)
