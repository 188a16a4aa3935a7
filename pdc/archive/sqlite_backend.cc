// The SQLite archive: Debian's libsqlite3, WAL journal (readers such as `pdc archive
// export` never block the writer), synchronous=NORMAL (a commit survives a crash of
// pdc; a power cut may lose the last transactions, never the file), one transaction
// per batch with prepared statements. Arrays are JSON text (docs/ARCHIVE.md).
#include <sqlite3.h>

#include <cmath>
#include <optional>

#include "backend.h"

namespace pmu::pdc::archive {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS pdc_archive (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pmu_config (
  config_id INTEGER PRIMARY KEY, idcode INTEGER NOT NULL, station TEXT NOT NULL, cfgcnt INTEGER NOT NULL,
  frame TEXT NOT NULL, time_base INTEGER NOT NULL, data_rate INTEGER NOT NULL, nominal_hz INTEGER NOT NULL,
  phasor_names TEXT NOT NULL, phasor_units TEXT NOT NULL, analog_names TEXT NOT NULL, digital_names TEXT NOT NULL,
  first_seen_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pmu_report (
  time_us INTEGER NOT NULL, idcode INTEGER NOT NULL, config_id INTEGER NOT NULL, stat INTEGER NOT NULL,
  freq_hz REAL, rocof_hz_s REAL, phasor_magnitude TEXT NOT NULL, phasor_angle_deg TEXT NOT NULL,
  analog_value TEXT NOT NULL, digital_word TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pmu_report_time ON pmu_report (time_us);
CREATE TABLE IF NOT EXISTS pdc_event (
  time_us INTEGER NOT NULL, until_us INTEGER NOT NULL, idcode INTEGER, kind TEXT NOT NULL,
  count INTEGER NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pdc_event_time ON pdc_event (time_us);
INSERT OR IGNORE INTO pdc_archive VALUES ('schema_version', '1');
)sql";

class Db {
 public:
  Db(const std::string& file, bool create) {
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw ArchiveError("cannot open SQLite archive '" + file + "': " + why);
    }
    sqlite3_busy_timeout(db_, 5000);  // another writer's transaction: wait, then fail the batch
    if (create) {
      try {
        Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        CheckSchema();
      } catch (...) {
        sqlite3_close(db_);
        throw;
      }
    }
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string why = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw ArchiveError("SQLite: " + why);
    }
  }
  [[noreturn]] void Fail(const std::string& what) const { throw ArchiveError("SQLite: " + what + ": " + sqlite3_errmsg(db_)); }
  sqlite3* get() const { return db_; }

  void CheckSchema() {
    Exec(kSchema);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT value FROM pdc_archive WHERE key = 'schema_version'", -1, &s, nullptr) != SQLITE_OK) {
      Fail("reading the schema version");
    }
    std::string version;
    if (sqlite3_step(s) == SQLITE_ROW) version = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (version != std::to_string(kSchemaVersion)) {
      throw ArchiveError("the archive has schema version '" + version + "'; this pdc reads and writes version " +
                         std::to_string(kSchemaVersion));
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(Db& db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db.get(), sql, -1, &s_, nullptr) != SQLITE_OK) db.Fail("preparing a statement");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Int(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Real(int i, double v) {
    if (std::isnan(v) || std::isinf(v)) {
      sqlite3_bind_null(s_, i);
    } else {
      sqlite3_bind_double(s_, i, v);
    }
    return *this;
  }
  Stmt& Null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  Stmt& Text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Runs a statement that returns no rows, then makes it ready again.
  void Run() {
    if (sqlite3_step(s_) != SQLITE_DONE) db_.Fail("writing a row");
    sqlite3_reset(s_);
  }
  bool Next() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) db_.Fail("reading");
    return false;
  }
  std::int64_t ColInt(int i) const { return sqlite3_column_int64(s_, i); }
  bool IsNull(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  std::optional<double> ColReal(int i) const {
    if (sqlite3_column_type(s_, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(s_, i);
  }
  std::string_view ColText(int i) const {
    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return t ? std::string_view(t, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : std::string_view();
  }

 private:
  Db& db_;
  sqlite3_stmt* s_ = nullptr;
};

std::string Json(std::span<const std::string> v) {
  std::string out;
  AppendJsonArray(out, v);
  return out;
}

class SqliteWriter final : public Writer {
 public:
  // The database and its schema first: the statements below are prepared against it.
  explicit SqliteWriter(const std::string& file) : db_(file, true) {}

  void Write(const Batch& b) override {
    db_.Exec("BEGIN IMMEDIATE");
    try {
      for (const ConfigRow& c : b.configs) {
        insert_config_.Int(1, c.config_id).Int(2, c.idcode).Text(3, c.station).Int(4, c.cfgcnt).Text(5, c.frame);
        insert_config_.Int(6, c.time_base).Int(7, c.data_rate).Int(8, c.nominal_hz).Text(9, Json(c.phasor_names));
        insert_config_.Text(10, Json(c.phasor_units)).Text(11, Json(c.analog_names)).Text(12, Json(c.digital_names));
        insert_config_.Int(13, c.first_seen_us).Run();
      }
      std::string text;
      for (const ReportRow& r : b.reports) {
        insert_report_.Int(1, r.time_us).Int(2, r.idcode).Int(3, r.config_id).Int(4, r.stat);
        insert_report_.Real(5, r.freq_hz).Real(6, r.rocof_hz_s);
        BindArray(7, std::span<const float>(r.magnitude.data(), r.phasor_count), text);
        BindArray(8, std::span<const float>(r.angle_deg.data(), r.phasor_count), text);
        BindArray(9, std::span<const float>(r.analog.data(), r.analog_count), text);
        BindArray(10, std::span<const std::uint16_t>(r.digital.data(), r.digital_count), text);
        insert_report_.Run();
      }
      for (const EventRow& e : b.events) {
        insert_event_.Int(1, e.time_us).Int(2, e.until_us);
        if (e.idcode >= 0) {
          insert_event_.Int(3, e.idcode);
        } else {
          insert_event_.Null(3);
        }
        insert_event_.Text(4, e.kind).Int(5, static_cast<std::int64_t>(e.count)).Text(6, e.detail).Run();
      }
      db_.Exec("COMMIT");
    } catch (const ArchiveError&) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

 private:
  template <typename T>
  void BindArray(int column, std::span<const T> values, std::string& text) {
    text.clear();
    AppendJsonArray(text, values);
    insert_report_.Text(column, text);
  }

  Db db_;
  Stmt insert_config_{db_,
                      "INSERT OR IGNORE INTO pmu_config VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"};
  Stmt insert_report_{db_, "INSERT INTO pmu_report VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"};
  Stmt insert_event_{db_, "INSERT INTO pdc_event VALUES (?1, ?2, ?3, ?4, ?5, ?6)"};
};

// "(?, ?, ?)" for the IDCODEs of a query, or "" for every PMU.
std::string IdcodeFilter(const Query& q, const char* column, int first) {
  if (q.idcodes.empty()) return "";
  std::string s = std::string(" AND ") + column + " IN (";
  for (std::size_t k = 0; k < q.idcodes.size(); ++k) s += (k ? ", ?" : "?") + std::to_string(first + static_cast<int>(k));
  return s + ")";
}

void BindQuery(Stmt& s, const Query& q) {
  s.Int(1, q.from_us).Int(2, q.to_us);
  for (std::size_t k = 0; k < q.idcodes.size(); ++k) s.Int(3 + static_cast<int>(k), q.idcodes[k]);
}

class SqliteReader final : public Reader {
 public:
  explicit SqliteReader(const std::string& file) : db_(file, false) {
    Stmt s(db_, "SELECT value FROM pdc_archive WHERE key = 'schema_version'");
    if (!s.Next() || s.ColText(0) != std::to_string(kSchemaVersion)) {
      throw ArchiveError("'" + file + "' is not a pdc archive of schema version " + std::to_string(kSchemaVersion));
    }
  }

  std::vector<ConfigRow> Configs(const Query& q) override {
    const std::string sql =
        "SELECT config_id, idcode, station, cfgcnt, frame, time_base, data_rate, nominal_hz, phasor_names, "
        "phasor_units, analog_names, digital_names, first_seen_us FROM pmu_config WHERE config_id IN "
        "(SELECT DISTINCT config_id FROM pmu_report WHERE time_us >= ?1 AND time_us < ?2" +
        IdcodeFilter(q, "idcode", 3) + ") ORDER BY first_seen_us, idcode";
    Stmt s(db_, sql.c_str());
    BindQuery(s, q);
    std::vector<ConfigRow> out;
    while (s.Next()) {
      ConfigRow c;
      c.config_id = s.ColInt(0);
      c.idcode = static_cast<std::uint16_t>(s.ColInt(1));
      c.station = std::string(s.ColText(2));
      c.cfgcnt = static_cast<std::uint16_t>(s.ColInt(3));
      c.frame = std::string(s.ColText(4));
      c.time_base = static_cast<std::uint32_t>(s.ColInt(5));
      c.data_rate = static_cast<std::int32_t>(s.ColInt(6));
      c.nominal_hz = static_cast<std::int32_t>(s.ColInt(7));
      try {
        c.phasor_names = ParseStringArray(s.ColText(8));
        c.phasor_units = ParseStringArray(s.ColText(9));
        c.analog_names = ParseStringArray(s.ColText(10));
        c.digital_names = ParseStringArray(s.ColText(11));
      } catch (const std::invalid_argument& e) {
        throw ArchiveError(std::string("configuration row does not read back: ") + e.what());
      }
      c.first_seen_us = s.ColInt(12);
      out.push_back(std::move(c));
    }
    return out;
  }

  void Reports(const Query& q, const std::function<void(const ReportRow&)>& each) override {
    const std::string sql =
        "SELECT time_us, idcode, config_id, stat, freq_hz, rocof_hz_s, phasor_magnitude, phasor_angle_deg, "
        "analog_value, digital_word FROM pmu_report WHERE time_us >= ?1 AND time_us < ?2" +
        IdcodeFilter(q, "idcode", 3) + " ORDER BY time_us, idcode";
    Stmt s(db_, sql.c_str());
    BindQuery(s, q);
    while (s.Next()) {
      each(ReportFromColumns(s.ColInt(0), s.ColInt(1), s.ColInt(2), s.ColInt(3), s.ColReal(4), s.ColReal(5),
                             s.ColText(6), s.ColText(7), s.ColText(8), s.ColText(9)));
    }
  }

  void Events(const Query& q, const std::function<void(const EventRow&)>& each) override {
    const std::string sql =
        "SELECT time_us, until_us, idcode, kind, count, detail FROM pdc_event WHERE until_us >= ?1 AND time_us < ?2" +
        (q.idcodes.empty() ? std::string() : IdcodeFilter(q, "idcode", 3)) + " ORDER BY time_us, kind";
    Stmt s(db_, sql.c_str());
    BindQuery(s, q);
    while (s.Next()) {
      EventRow e;
      e.time_us = s.ColInt(0);
      e.until_us = s.ColInt(1);
      e.idcode = s.IsNull(2) ? -1 : static_cast<std::int32_t>(s.ColInt(2));
      e.kind = std::string(s.ColText(3));
      e.count = static_cast<std::uint64_t>(s.ColInt(4));
      e.detail = std::string(s.ColText(5));
      each(e);
    }
  }

 private:
  Db db_;
};

}  // namespace

std::unique_ptr<Writer> OpenSqliteWriter(const std::string& file) { return std::make_unique<SqliteWriter>(file); }
std::unique_ptr<Reader> OpenSqliteReader(const std::string& file) { return std::make_unique<SqliteReader>(file); }

}  // namespace pmu::pdc::archive
