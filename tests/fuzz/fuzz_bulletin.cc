// Fuzzes the bulletin datagram parser and the UTF-8 validator: no crash; an accepted
// datagram's character count agrees with the incremental validator fed in two pieces
// cut anywhere, and a valid identifier formats back to the same datagram.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "pmu/proto/bulletin.h"
#include "pmu/base/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::proto;
  using pmu::Utf8CodePoints;
  using pmu::Utf8Validator;
  const pmu::ByteSpan bytes = pmu::AsBytes(data, size);
  const auto whole = Utf8CodePoints(bytes);
  const std::size_t cut = size ? data[0] % (size + 1) : 0;
  Utf8Validator v;
  v.Feed(bytes.first(cut));
  v.Feed(bytes.subspan(cut));
  if (whole.ok() != v.complete()) std::abort();
  if (whole.ok() && *whole != v.code_points()) std::abort();

  const auto d = ParseBulletin(bytes);
  if (!d.ok()) return 0;
  if (d->id.size() != kBulletinIdLength || size > kMaxBulletinDatagram) std::abort();
  const std::string_view id = TrimBulletinId(d->id);
  if (IsValidBulletinId(id)) {
    std::vector<char> buf(size);
    const std::size_t n = FormatBulletin(id, d->text, buf);
    if (n != size || std::string_view(buf.data(), n) != std::string_view(reinterpret_cast<const char*>(data), size)) {
      std::abort();
    }
  }
  return 0;
}
