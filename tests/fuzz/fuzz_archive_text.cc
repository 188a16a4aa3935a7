// The archive's text parsers (pdc/archive/text.cc, url.cc): --from/--to times, the JSON
// arrays both databases return, archive URLs. The first byte picks the parser. Each
// accepted input must survive a round trip through the matching writer.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "archive/backend.h"
#include "archive/record.h"

using namespace pmu::pdc::archive;

namespace {

void Time(std::string_view text) {
  std::int64_t us = 0;
  try {
    us = ParseTimeArg(text);
  } catch (const std::invalid_argument&) {
    return;
  }
  // Years 1 to 9999 print as four digits and read back.
  if (us < -62135596800LL * 1'000'000 || us > 253402300799LL * 1'000'000) return;
  if (ParseTimeArg(FormatUtcUs(us)) != us) std::abort();
}

void Numbers(std::string_view text) {
  std::vector<double> v;
  try {
    v = ParseNumberArray(text);
  } catch (const std::invalid_argument&) {
    return;
  }
  std::string again = "[";
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (k) again += ",";
    AppendNumber(again, v[k]);
  }
  again += "]";
  const auto back = ParseNumberArray(again);
  if (back.size() != v.size()) std::abort();
  for (std::size_t k = 0; k < v.size(); ++k) {
    const bool both_missing = (std::isnan(v[k]) || std::isinf(v[k])) && std::isnan(back[k]);
    if (!both_missing && back[k] != v[k]) std::abort();
  }
}

void Strings(std::string_view text) {
  std::vector<std::string> v;
  try {
    v = ParseStringArray(text);
  } catch (const std::invalid_argument&) {
    return;
  }
  // Names as pdc stores them: every byte outside printable ASCII escaped as \u00XX,
  // so only a string of bytes round-trips (ParseStringArray writes \u0100 and up as UTF-8).
  std::string again;
  AppendJsonArray(again, v);
  if (ParseStringArray(again) != v) std::abort();
}

void Url(std::string_view text) {
  ArchiveUrl url;
  try {
    url = ParseArchiveUrl(text);
  } catch (const std::invalid_argument&) {
    return;
  }
  if (url.kind == ArchiveUrl::Kind::kSqlite && ("sqlite:" + url.target) != text) std::abort();
  if (url.kind == ArchiveUrl::Kind::kPostgres && url.target != text) std::abort();
  if (url.shown.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: Time(text); break;
    case 1: Numbers(text); break;
    case 2: Strings(text); break;
    default: Url(text); break;
  }
  return 0;
}
