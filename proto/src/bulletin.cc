#include "pmu/proto/bulletin.h"

#include <cstring>

#include "pmu/base/utf8.h"

namespace pmu::proto {

Result<BulletinDatagram> ParseBulletin(ByteSpan datagram) {
  if (datagram.size() > kMaxBulletinDatagram) return OutOfRange("oversized datagram");
  if (datagram.size() < kBulletinIdLength) return InvalidArgument("shorter than the 6-byte identifier");
  const std::string_view all = AsText(datagram);
  BulletinDatagram d{all.substr(0, kBulletinIdLength), all.substr(kBulletinIdLength), 0};
  bool all_spaces = true;
  for (char c : d.id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return InvalidArgument("identifier is not printable ASCII");
    if (c != ' ') all_spaces = false;
  }
  if (all_spaces) return InvalidArgument("identifier is blank");
  auto chars = Utf8CodePoints(datagram.subspan(kBulletinIdLength));
  if (!chars.ok()) return InvalidArgument("text is not valid UTF-8");
  d.characters = *chars;
  return d;
}

std::string_view TrimBulletinId(std::string_view id) {
  while (!id.empty() && id.front() == ' ') id.remove_prefix(1);
  return id;
}

bool IsValidBulletinId(std::string_view id) {
  if (id.empty() || id.size() > kBulletinIdLength) return false;
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u > 0x7E) return false;
  }
  return true;
}

std::size_t FormatBulletin(std::string_view id, std::string_view text, std::span<char> out) {
  if (!IsValidBulletinId(id)) return 0;
  const std::size_t total = kBulletinIdLength + text.size();
  if (total > out.size()) return 0;
  const std::size_t pad = kBulletinIdLength - id.size();
  std::memset(out.data(), ' ', pad);
  std::memcpy(out.data() + pad, id.data(), id.size());
  std::memcpy(out.data() + kBulletinIdLength, text.data(), text.size());
  return total;
}

}  // namespace pmu::proto
