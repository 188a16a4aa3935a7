// The databases an archive lives in, behind one interface: SQLite (embedded, the
// default) and PostgreSQL. The schema is in docs/ARCHIVE.md; both backends create it
// when it is not there and refuse a database whose schema version is another.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "record.h"

namespace pmu::pdc::archive {

// The database failed or went away: the writer reconnects and tries again.
struct ArchiveError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ArchiveUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string target;  // the file (SQLite), or the whole URL (libpq)
  std::string shown;   // for messages: the URL with any password left out
};
// "sqlite:FILE" or "postgresql://..." ("postgres://" too). Throws std::invalid_argument
// saying what form is expected.
ArchiveUrl ParseArchiveUrl(std::string_view text);

inline constexpr int kSchemaVersion = 1;

// What one transaction writes.
struct Batch {
  std::vector<ConfigRow> configs;
  std::vector<ReportRow> reports;
  std::vector<EventRow> events;
  bool empty() const { return configs.empty() && reports.empty() && events.empty(); }
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Writes everything in one transaction (configurations already stored are kept as
  // they are). Throws ArchiveError; nothing of the batch is stored then.
  virtual void Write(const Batch& batch) = 0;
};

// What `pdc archive export` asks for.
struct Query {
  std::int64_t from_us = 0;  // inclusive
  std::int64_t to_us = 0;    // exclusive
  std::vector<std::uint16_t> idcodes;  // empty: every PMU
};

class Reader {
 public:
  virtual ~Reader() = default;
  // The configurations the query's reports refer to.
  virtual std::vector<ConfigRow> Configs(const Query& q) = 0;
  // The reports in time order (then IDCODE).
  virtual void Reports(const Query& q, const std::function<void(const ReportRow&)>& each) = 0;
  // Events that overlap the query's interval, in time order.
  virtual void Events(const Query& q, const std::function<void(const EventRow&)>& each) = 0;
};

// Open (creating the schema when needed) or throw ArchiveError.
std::unique_ptr<Writer> OpenWriter(const ArchiveUrl& url);
// Open an existing archive or throw ArchiveError.
std::unique_ptr<Reader> OpenReader(const ArchiveUrl& url);

// Per backend.
std::unique_ptr<Writer> OpenSqliteWriter(const std::string& file);
std::unique_ptr<Reader> OpenSqliteReader(const std::string& file);
std::unique_ptr<Writer> OpenPostgresWriter(const std::string& url);
std::unique_ptr<Reader> OpenPostgresReader(const std::string& url);

// Rebuilds a row from the columns both backends return in the same text forms.
ReportRow ReportFromColumns(std::int64_t time_us, std::int64_t idcode, std::int64_t config_id, std::int64_t stat,
                            std::optional<double> freq, std::optional<double> rocof, std::string_view magnitudes,
                            std::string_view angles, std::string_view analogs, std::string_view digitals);

}  // namespace pmu::pdc::archive
