// The archive URLs --archive and pdc archive export take. Pure: the fuzz target
// fuzz_archive_text runs it.
#include <stdexcept>

#include "backend.h"

namespace pmu::pdc::archive {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "postgresql://user:secret@host/db?password=x" -> "postgresql://user@host/db?password=...".
std::string WithoutPassword(std::string_view text) {
  std::string cleaned(text);
  if (const auto p = cleaned.find("password="); p != std::string::npos) {
    const auto end = cleaned.find('&', p);
    cleaned.replace(p + 9, end == std::string::npos ? std::string::npos : end - p - 9, "...");
  }
  const std::string_view url = cleaned;
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto authority = scheme + 3;
  const auto at = url.find('@', authority);
  const auto slash = url.find('/', authority);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return std::string(url);
  const auto colon = url.find(':', authority);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon)) + std::string(url.substr(at));
}

}  // namespace

ArchiveUrl ParseArchiveUrl(std::string_view text) {
  ArchiveUrl url;
  if (StartsWith(text, "sqlite:")) {
    url.kind = ArchiveUrl::Kind::kSqlite;
    url.target = std::string(text.substr(7));
    if (StartsWith(url.target, "//")) {
      throw std::invalid_argument("archive URL '" + std::string(text) +
                                  "': write sqlite:FILE (a path, relative or absolute), not sqlite://");
    }
    if (url.target.empty()) throw std::invalid_argument("archive URL 'sqlite:' names no file: write sqlite:FILE");
    if (url.target.find('\0') != std::string::npos) throw std::invalid_argument("archive file name has a NUL byte");
    url.shown = "sqlite:" + url.target;
    return url;
  }
  if (StartsWith(text, "postgresql://") || StartsWith(text, "postgres://")) {
    url.kind = ArchiveUrl::Kind::kPostgres;
    url.target = std::string(text);
    if (url.target.find('\0') != std::string::npos) throw std::invalid_argument("archive URL has a NUL byte");
    url.shown = WithoutPassword(text);
    return url;
  }
  throw std::invalid_argument("archive URL '" + std::string(text.substr(0, 80)) +
                              "': expected sqlite:FILE or postgresql://[USER@][HOST][:PORT]/DATABASE[?...]");
}

}  // namespace pmu::pdc::archive
