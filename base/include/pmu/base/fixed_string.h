// FixedString<N>: text in a fixed array of N bytes (plus a terminating NUL), for
// firmware code that must not allocate. Appends that do not fit are cut at the
// capacity and remembered (truncated()), never overflow.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <string_view>

namespace pmu {

namespace fixed_string_detail {
// The work of Append and VFormat, once for every capacity (flash on the board): writes
// at data[size] within capacity `capacity` (data has capacity + 1 bytes), keeps the
// NUL, sets *truncated when text was cut; returns the new size.
std::size_t Append(char* data, std::size_t capacity, std::size_t size, std::string_view text, bool* truncated);
std::size_t VFormat(char* data, std::size_t capacity, std::size_t size, const char* fmt, va_list args,
                    bool* truncated);
}  // namespace fixed_string_detail

template <std::size_t N>
class FixedString {
 public:
  constexpr FixedString() = default;
  explicit FixedString(std::string_view text) { Append(text); }

  static constexpr std::size_t capacity() { return N; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool truncated() const { return truncated_; }
  const char* c_str() const { return data_; }
  std::string_view view() const { return {data_, size_}; }
  operator std::string_view() const { return view(); }  // NOLINT: views are cheap

  friend bool operator==(const FixedString& a, const FixedString& b) { return a.view() == b.view(); }

  void clear() {
    size_ = 0;
    truncated_ = false;
    data_[0] = '\0';
  }

  FixedString& Append(std::string_view text) {
    size_ = fixed_string_detail::Append(data_, N, size_, text, &truncated_);
    return *this;
  }
  FixedString& Append(char c) { return Append(std::string_view(&c, 1)); }

  // printf-style append.
  __attribute__((format(printf, 2, 3))) FixedString& Format(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    VFormat(fmt, args);
    va_end(args);
    return *this;
  }
  FixedString& VFormat(const char* fmt, va_list args) {
    size_ = fixed_string_detail::VFormat(data_, N, size_, fmt, args, &truncated_);
    return *this;
  }

 private:
  char data_[N + 1] = {};
  std::size_t size_ = 0;
  bool truncated_ = false;
};

}  // namespace pmu
