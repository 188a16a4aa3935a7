#include "pmu/base/fixed_string.h"

#include <cstdio>
#include <cstring>

namespace pmu::fixed_string_detail {

std::size_t Append(char* data, std::size_t capacity, std::size_t size, std::string_view text, bool* truncated) {
  std::size_t n = text.size();
  if (n > capacity - size) {
    n = capacity - size;
    *truncated = true;
  }
  if (n > 0) std::memcpy(data + size, text.data(), n);
  size += n;
  data[size] = '\0';
  return size;
}

std::size_t VFormat(char* data, std::size_t capacity, std::size_t size, const char* fmt, va_list args,
                    bool* truncated) {
  const std::size_t room = capacity - size + 1;
  const int n = std::vsnprintf(data + size, room, fmt, args);
  if (n < 0) {
    data[size] = '\0';
    return size;
  }
  if (static_cast<std::size_t>(n) >= room) {
    *truncated = true;
    return capacity;
  }
  return size + static_cast<std::size_t>(n);
}

}  // namespace pmu::fixed_string_detail
