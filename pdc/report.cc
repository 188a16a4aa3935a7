#include "report.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace pmu::pdc {

std::string Report::JsonEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string FormatFixed(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, value);
  return buf;
}

void Report::Print(bool json, const std::string& human) const {
  if (!json) {
    std::cerr << human << "\n";
    return;
  }
  std::ostringstream o;
  o << "{";
  bool first = true;
  for (const auto& [key, value] : fields_) {
    if (!first) o << ", ";
    first = false;
    o << "\"" << JsonEscape(key) << "\": ";
    std::visit(
        [&o](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            o << "\"" << JsonEscape(v) << "\"";
          } else if constexpr (std::is_same_v<T, bool>) {
            o << (v ? "true" : "false");
          } else if constexpr (std::is_same_v<T, double>) {
            char buf[32];
            std::snprintf(buf, sizeof(buf), "%.6f", v);
            o << buf;
          } else {
            o << v;
          }
        },
        value);
  }
  o << "}";
  std::cout << o.str() << std::endl;
}

}  // namespace pmu::pdc
