#include "siphash.h"

#include <cstring>

namespace pmu::port {
namespace {

std::uint64_t Rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
std::uint64_t Load64Le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct State {
  std::uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1; v1 = Rotl(v1, 13); v1 ^= v0; v0 = Rotl(v0, 32);
    v2 += v3; v3 = Rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = Rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = Rotl(v1, 17); v1 ^= v2; v2 = Rotl(v2, 32);
  }
  void Compress(std::uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

}  // namespace

std::uint64_t SipHash24(const std::uint8_t key[16], const std::uint8_t* data, std::size_t size) {
  const std::uint64_t k0 = Load64Le(key), k1 = Load64Le(key + 8);
  State s{0x736f6d6570736575ull ^ k0, 0x646f72616e646f6dull ^ k1, 0x6c7967656e657261ull ^ k0,
          0x7465646279746573ull ^ k1};
  const std::size_t whole = size - size % 8;
  for (std::size_t i = 0; i < whole; i += 8) s.Compress(Load64Le(data + i));
  std::uint8_t last[8] = {};
  std::memcpy(last, data + whole, size % 8);
  last[7] = static_cast<std::uint8_t>(size);
  s.Compress(Load64Le(last));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace pmu::port
