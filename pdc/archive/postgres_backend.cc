// The PostgreSQL archive: Debian's libpq. Each batch is one transaction: the new
// configurations as INSERT ... ON CONFLICT DO NOTHING, the reports as one COPY FROM
// STDIN in text format, the events as INSERTs. Arrays of values are real[] and
// integer[]; names are JSON text, as in SQLite (docs/ARCHIVE.md).
#include <libpq-fe.h>

#include <cmath>
#include <cstdlib>
#include <optional>

#include "backend.h"

namespace pmu::pdc::archive {
namespace {

constexpr const char* kSchema = R"sql(
SELECT pg_advisory_xact_lock(4712118);
CREATE TABLE IF NOT EXISTS pdc_archive (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS pmu_config (
  config_id bigint PRIMARY KEY, idcode integer NOT NULL, station text NOT NULL, cfgcnt integer NOT NULL,
  frame text NOT NULL, time_base integer NOT NULL, data_rate integer NOT NULL, nominal_hz integer NOT NULL,
  phasor_names text NOT NULL, phasor_units text NOT NULL, analog_names text NOT NULL, digital_names text NOT NULL,
  first_seen_us bigint NOT NULL);
CREATE TABLE IF NOT EXISTS pmu_report (
  time_us bigint NOT NULL, idcode integer NOT NULL, config_id bigint NOT NULL, stat integer NOT NULL,
  freq_hz double precision, rocof_hz_s double precision, phasor_magnitude real[] NOT NULL,
  phasor_angle_deg real[] NOT NULL, analog_value real[] NOT NULL, digital_word integer[] NOT NULL);
CREATE INDEX IF NOT EXISTS pmu_report_time ON pmu_report (time_us);
CREATE TABLE IF NOT EXISTS pdc_event (
  time_us bigint NOT NULL, until_us bigint NOT NULL, idcode integer, kind text NOT NULL,
  count bigint NOT NULL, detail text NOT NULL);
CREATE INDEX IF NOT EXISTS pdc_event_time ON pdc_event (time_us);
INSERT INTO pdc_archive VALUES ('schema_version', '1') ON CONFLICT DO NOTHING;
)sql";

class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result& operator=(Result&&) = delete;
  PGresult* get() const { return r_; }
  ExecStatusType status() const { return PQresultStatus(r_); }

 private:
  PGresult* r_;
};

class Connection {
 public:
  explicit Connection(const std::string& url) {
    // The URL's own connect_timeout, if any, wins (later values override earlier ones).
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"5", "pdc", url.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
      PQfinish(conn_);
      conn_ = nullptr;
      throw ArchiveError("cannot connect to PostgreSQL: " + Trim(why));
    }
    Exec("SET client_min_messages = warning", PGRES_COMMAND_OK);
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  [[noreturn]] void Fail(const std::string& what) const {
    throw ArchiveError("PostgreSQL: " + what + ": " + Trim(PQerrorMessage(conn_)));
  }
  void Exec(const char* sql, ExecStatusType want) {
    Result r(PQexec(conn_, sql));
    if (r.status() != want) Fail(std::string(sql).substr(0, 40));
  }
  Result Params(const char* sql, const std::vector<std::string>& params, ExecStatusType want) {
    std::vector<const char*> values;
    for (const auto& v : params) values.push_back(v.c_str());
    Result r(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
    if (r.status() != want) Fail(std::string(sql).substr(0, 40));
    return r;
  }
  PGconn* get() const { return conn_; }

 private:
  PGconn* conn_ = nullptr;
};

std::string Json(std::span<const std::string> v) {
  std::string out;
  AppendJsonArray(out, v);
  return out;
}

void AppendCopyNumber(std::string& out, double v) {
  if (std::isnan(v) || std::isinf(v)) {
    out += "\\N";
  } else {
    AppendNumber(out, v);
  }
}

// One report as a line of COPY's text format.
void AppendCopyLine(std::string& out, const ReportRow& r) {
  out += std::to_string(r.time_us);
  out += '\t';
  out += std::to_string(r.idcode);
  out += '\t';
  out += std::to_string(r.config_id);
  out += '\t';
  out += std::to_string(r.stat);
  out += '\t';
  AppendCopyNumber(out, r.freq_hz);
  out += '\t';
  AppendCopyNumber(out, r.rocof_hz_s);
  out += '\t';
  AppendPgArray(out, std::span<const float>(r.magnitude.data(), r.phasor_count));
  out += '\t';
  AppendPgArray(out, std::span<const float>(r.angle_deg.data(), r.phasor_count));
  out += '\t';
  AppendPgArray(out, std::span<const float>(r.analog.data(), r.analog_count));
  out += '\t';
  AppendPgArray(out, std::span<const std::uint16_t>(r.digital.data(), r.digital_count));
  out += '\n';
}

class PostgresWriter final : public Writer {
 public:
  explicit PostgresWriter(const std::string& url) : conn_(url) {
    conn_.Exec("BEGIN", PGRES_COMMAND_OK);
    Result r(PQexec(conn_.get(), kSchema));
    if (r.status() != PGRES_COMMAND_OK) {
      const std::string why = Connection::Trim(PQerrorMessage(conn_.get()));
      throw ArchiveError("PostgreSQL: creating the archive's tables: " + why);
    }
    conn_.Exec("COMMIT", PGRES_COMMAND_OK);
    CheckVersion(conn_);
  }

  static void CheckVersion(Connection& c) {
    Result r(PQexec(c.get(), "SELECT value FROM pdc_archive WHERE key = 'schema_version'"));
    const std::string version = r.status() == PGRES_TUPLES_OK && PQntuples(r.get()) == 1 ? PQgetvalue(r.get(), 0, 0) : "";
    if (version != std::to_string(kSchemaVersion)) {
      throw ArchiveError("the database is not a pdc archive of schema version " + std::to_string(kSchemaVersion) +
                         (version.empty() ? std::string() : " (it has version " + version + ")"));
    }
  }

  void Write(const Batch& b) override {
    conn_.Exec("BEGIN", PGRES_COMMAND_OK);
    for (const ConfigRow& c : b.configs) {
      conn_.Params("INSERT INTO pmu_config VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
                   "ON CONFLICT (config_id) DO NOTHING",
                   {std::to_string(c.config_id), std::to_string(c.idcode), c.station, std::to_string(c.cfgcnt), c.frame,
                    std::to_string(c.time_base), std::to_string(c.data_rate), std::to_string(c.nominal_hz),
                    Json(c.phasor_names), Json(c.phasor_units), Json(c.analog_names), Json(c.digital_names),
                    std::to_string(c.first_seen_us)},
                   PGRES_COMMAND_OK);
    }
    if (!b.reports.empty()) CopyReports(b.reports);
    for (const EventRow& e : b.events) {
      // NULL IDCODE for events about no single PMU.
      const std::string idcode = e.idcode >= 0 ? std::to_string(e.idcode) : std::string();
      std::vector<const char*> v = {nullptr, nullptr, e.idcode >= 0 ? idcode.c_str() : nullptr, e.kind.c_str(),
                                    nullptr, e.detail.c_str()};
      const std::string t = std::to_string(e.time_us), u = std::to_string(e.until_us), n = std::to_string(e.count);
      v[0] = t.c_str();
      v[1] = u.c_str();
      v[4] = n.c_str();
      Result r(PQexecParams(conn_.get(), "INSERT INTO pdc_event VALUES ($1, $2, $3, $4, $5, $6)", 6, nullptr, v.data(),
                            nullptr, nullptr, 0));
      if (r.status() != PGRES_COMMAND_OK) conn_.Fail("writing an event");
    }
    conn_.Exec("COMMIT", PGRES_COMMAND_OK);
  }

 private:
  void CopyReports(const std::vector<ReportRow>& rows) {
    {
      Result r(PQexec(conn_.get(),
                      "COPY pmu_report (time_us, idcode, config_id, stat, freq_hz, rocof_hz_s, phasor_magnitude, "
                      "phasor_angle_deg, analog_value, digital_word) FROM STDIN"));
      if (r.status() != PGRES_COPY_IN) conn_.Fail("starting COPY");
    }
    std::string chunk;
    chunk.reserve(1 << 17);
    for (const ReportRow& row : rows) {
      AppendCopyLine(chunk, row);
      if (chunk.size() >= (1 << 16)) Send(chunk);
    }
    if (!chunk.empty()) Send(chunk);
    if (PQputCopyEnd(conn_.get(), nullptr) != 1) conn_.Fail("ending COPY");
    Result r(PQgetResult(conn_.get()));
    if (r.status() != PGRES_COMMAND_OK) conn_.Fail("COPY");
    while (PGresult* extra = PQgetResult(conn_.get())) PQclear(extra);
  }
  void Send(std::string& chunk) {
    if (PQputCopyData(conn_.get(), chunk.data(), static_cast<int>(chunk.size())) != 1) conn_.Fail("COPY data");
    chunk.clear();
  }

  Connection conn_;
};

std::string IdcodeFilter(const Query& q) {
  if (q.idcodes.empty()) return "";
  std::string s = " AND idcode IN (";
  for (std::size_t k = 0; k < q.idcodes.size(); ++k) s += (k ? ", " : "") + std::to_string(q.idcodes[k]);
  return s + ")";
}

std::optional<double> Real(PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return std::strtod(PQgetvalue(r, row, col), nullptr);
}
std::int64_t Int(PGresult* r, int row, int col) { return std::strtoll(PQgetvalue(r, row, col), nullptr, 10); }

class PostgresReader final : public Reader {
 public:
  explicit PostgresReader(const std::string& url) : conn_(url) { PostgresWriter::CheckVersion(conn_); }

  std::vector<ConfigRow> Configs(const Query& q) override {
    const std::string sql =
        "SELECT config_id, idcode, station, cfgcnt, frame, time_base, data_rate, nominal_hz, phasor_names, "
        "phasor_units, analog_names, digital_names, first_seen_us FROM pmu_config WHERE config_id IN "
        "(SELECT DISTINCT config_id FROM pmu_report WHERE time_us >= $1 AND time_us < $2" +
        IdcodeFilter(q) + ") ORDER BY first_seen_us, idcode";
    Result r = conn_.Params(sql.c_str(), {std::to_string(q.from_us), std::to_string(q.to_us)}, PGRES_TUPLES_OK);
    std::vector<ConfigRow> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      ConfigRow c;
      c.config_id = Int(r.get(), i, 0);
      c.idcode = static_cast<std::uint16_t>(Int(r.get(), i, 1));
      c.station = PQgetvalue(r.get(), i, 2);
      c.cfgcnt = static_cast<std::uint16_t>(Int(r.get(), i, 3));
      c.frame = PQgetvalue(r.get(), i, 4);
      c.time_base = static_cast<std::uint32_t>(Int(r.get(), i, 5));
      c.data_rate = static_cast<std::int32_t>(Int(r.get(), i, 6));
      c.nominal_hz = static_cast<std::int32_t>(Int(r.get(), i, 7));
      try {
        c.phasor_names = ParseStringArray(PQgetvalue(r.get(), i, 8));
        c.phasor_units = ParseStringArray(PQgetvalue(r.get(), i, 9));
        c.analog_names = ParseStringArray(PQgetvalue(r.get(), i, 10));
        c.digital_names = ParseStringArray(PQgetvalue(r.get(), i, 11));
      } catch (const std::invalid_argument& e) {
        throw ArchiveError(std::string("configuration row does not read back: ") + e.what());
      }
      c.first_seen_us = Int(r.get(), i, 12);
      out.push_back(std::move(c));
    }
    return out;
  }

  void Reports(const Query& q, const std::function<void(const ReportRow&)>& each) override {
    const std::string sql =
        "SELECT time_us, idcode, config_id, stat, freq_hz, rocof_hz_s, array_to_json(phasor_magnitude)::text, "
        "array_to_json(phasor_angle_deg)::text, array_to_json(analog_value)::text, "
        "array_to_json(digital_word)::text FROM pmu_report WHERE time_us >= $1 AND time_us < $2" +
        IdcodeFilter(q) + " ORDER BY time_us, idcode";
    Stream(sql, q, [&](PGresult* r, int i) {
      each(ReportFromColumns(Int(r, i, 0), Int(r, i, 1), Int(r, i, 2), Int(r, i, 3), Real(r, i, 4), Real(r, i, 5),
                             PQgetvalue(r, i, 6), PQgetvalue(r, i, 7), PQgetvalue(r, i, 8), PQgetvalue(r, i, 9)));
    });
  }

  void Events(const Query& q, const std::function<void(const EventRow&)>& each) override {
    const std::string sql =
        "SELECT time_us, until_us, idcode, kind, count, detail FROM pdc_event WHERE until_us >= $1 AND time_us < $2" +
        IdcodeFilter(q) + " ORDER BY time_us, kind";
    Stream(sql, q, [&](PGresult* r, int i) {
      EventRow e;
      e.time_us = Int(r, i, 0);
      e.until_us = Int(r, i, 1);
      e.idcode = PQgetisnull(r, i, 2) ? -1 : static_cast<std::int32_t>(Int(r, i, 2));
      e.kind = PQgetvalue(r, i, 3);
      e.count = static_cast<std::uint64_t>(Int(r, i, 4));
      e.detail = PQgetvalue(r, i, 5);
      each(e);
    });
  }

 private:
  // Rows one at a time (libpq's single-row mode), so a long export does not sit in memory.
  template <typename Each>
  void Stream(const std::string& sql, const Query& q, Each&& each) {
    const std::string from = std::to_string(q.from_us), to = std::to_string(q.to_us);
    const char* values[] = {from.c_str(), to.c_str()};
    if (!PQsendQueryParams(conn_.get(), sql.c_str(), 2, nullptr, values, nullptr, nullptr, 0)) conn_.Fail("query");
    PQsetSingleRowMode(conn_.get());
    std::string error;
    while (PGresult* raw = PQgetResult(conn_.get())) {
      Result r(raw);
      if (r.status() == PGRES_SINGLE_TUPLE) {
        if (error.empty()) each(r.get(), 0);
      } else if (r.status() != PGRES_TUPLES_OK && error.empty()) {
        error = Connection::Trim(PQresultErrorMessage(r.get()));
      }
    }
    if (!error.empty()) throw ArchiveError("PostgreSQL: reading: " + error);
  }

  Connection conn_;
};

}  // namespace

std::unique_ptr<Writer> OpenPostgresWriter(const std::string& url) { return std::make_unique<PostgresWriter>(url); }
std::unique_ptr<Reader> OpenPostgresReader(const std::string& url) { return std::make_unique<PostgresReader>(url); }

}  // namespace pmu::pdc::archive
