// FixedString<N>: text in a fixed array of N bytes (plus a terminating NUL), for
// firmware code that must not allocate. Appends that do not fit are cut at the
// capacity and remembered (truncated()), never overflow.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace pmu {

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
    std::size_t n = text.size();
    if (n > N - size_) {
      n = N - size_;
      truncated_ = true;
    }
    if (n > 0) std::memcpy(data_ + size_, text.data(), n);
    size_ += n;
    data_[size_] = '\0';
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
    const std::size_t room = N - size_ + 1;
    const int n = std::vsnprintf(data_ + size_, room, fmt, args);
    if (n < 0) return *this;
    if (static_cast<std::size_t>(n) >= room) {
      size_ = N;
      truncated_ = true;
    } else {
      size_ += static_cast<std::size_t>(n);
    }
    return *this;
  }

 private:
  char data_[N + 1] = {};
  std::size_t size_ = 0;
  bool truncated_ = false;
};

}  // namespace pmu
