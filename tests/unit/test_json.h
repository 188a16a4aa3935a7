// Helpers for tests that read published test vectors: hex text to bytes, and a
// minimal JSON reader (objects, arrays, strings without escapes beyond \" \\ \/,
// numbers, true, false, null), enough for the C37.118.2 and Fernet vector files.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace pmu::test {

using Bytes = std::vector<std::byte>;

inline Bytes FromHex(std::string_view hex) {
  Bytes out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) ADD_FAILURE() << "odd hex length: " << hex;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      ADD_FAILURE() << "bad hex: " << hex.substr(i, 2);
      return {};
    }
    out.push_back(static_cast<std::byte>(hi * 16 + lo));
  }
  return out;
}


struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  double number = 0;
  std::string text;
  std::vector<Json> items;   // arrays
  std::vector<std::string> keys;  // objects: keys[i] names values[i]
  std::vector<Json> values;

  const Json& operator[](std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return values[i];
    }
    ADD_FAILURE() << "JSON: no key \"" << key << "\"";
    static const Json null;
    return null;
  }
  const Json& operator[](std::size_t i) const {
    if (i < items.size()) return items[i];
    ADD_FAILURE() << "JSON: no item " << i;
    static const Json null;
    return null;
  }
  std::size_t size() const { return kind == Kind::kArray ? items.size() : keys.size(); }
  std::uint64_t integer() const {
    EXPECT_EQ(kind, Kind::kNumber);
    return static_cast<std::uint64_t>(number);
  }
  // The number at the start of a string: "0x0004 (...)" or "0 => 60 Hz" or "50 Hz".
  std::uint64_t leading() const {
    EXPECT_EQ(kind, Kind::kString);
    return std::strtoull(text.c_str(), nullptr, 0);
  }
  Bytes hex() const { return FromHex(text); }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}
  bool Read(Json& out, std::string& error) {
    if (!Value(out) || (Space(), pos_ != s_.size())) {
      error = "JSON: parse error near byte " + std::to_string(pos_);
      return false;
    }
    return true;
  }

 private:
  void Space() {
    while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_]) != nullptr) ++pos_;
  }
  bool Eat(char c) {
    Space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool String(std::string& out) {
    if (!Eat('"')) return false;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') {
        if (++pos_ == s_.size() || std::strchr("\"\\/", s_[pos_]) == nullptr) return false;
      }
      out += s_[pos_++];
    }
    return Eat('"');
  }
  bool Value(Json& v) {
    Space();
    if (pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    if (c == '{') {
      v.kind = Json::Kind::kObject;
      ++pos_;
      if (Eat('}')) return true;
      do {
        std::string key;
        Json item;
        if (!String(key) || !Eat(':') || !Value(item)) return false;
        v.keys.push_back(std::move(key));
        v.values.push_back(std::move(item));
      } while (Eat(','));
      return Eat('}');
    }
    if (c == '[') {
      v.kind = Json::Kind::kArray;
      ++pos_;
      if (Eat(']')) return true;
      do {
        Json item;
        if (!Value(item)) return false;
        v.items.push_back(std::move(item));
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"') {
      v.kind = Json::Kind::kString;
      return String(v.text);
    }
    for (const char* word : {"true", "false", "null"}) {
      if (s_.substr(pos_, std::strlen(word)) == word) {
        v.kind = word[0] == 'n' ? Json::Kind::kNull : Json::Kind::kBool;
        v.number = word[0] == 't' ? 1 : 0;
        pos_ += std::strlen(word);
        return true;
      }
    }
    const std::string rest(s_.substr(pos_, 64));
    char* end = nullptr;
    v.kind = Json::Kind::kNumber;
    v.number = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str()) return false;
    pos_ += static_cast<std::size_t>(end - rest.c_str());
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};


// Reads a whole file; false (and `error` says which) when it cannot.
inline bool ReadTextFile(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace pmu::test
