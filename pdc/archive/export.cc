// pdc archive export URL [--from T] [--to T] [--pmu IDCODE]... [--format csv|json|comtrade]
// [--events]: the reports (or the events) of an archive, in time order, as CSV with a
// column per channel name, as JSON lines shaped like `pdc c37 stream --format json`'s
// PMU objects, or as one COMTRADE record (-o PREFIX) laid out as pdc c37 --comtrade's.
#include "export.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <unordered_map>

#include "backend.h"
#include "c37/comtrade_recorder.h"
#include "exit_status.h"
#include "net.h"
#include "report.h"

namespace pmu::pdc::archive {
namespace {

struct ExportOptions {
  std::string url;
  std::string from, to;
  std::vector<unsigned> pmus;
  std::string format = "csv";
  std::string output;  // the COMTRADE record's prefix
  bool events = false;
  bool json = false;
};

// CSV columns: the fixed ones, then every channel name of the configurations in the
// export, in the order they first appear (a PMU without that channel leaves it empty).
struct Columns {
  std::vector<std::string> phasors, analogs;
  std::size_t digital_words = 0;
  std::map<std::string, std::size_t> phasor_at, analog_at;

  explicit Columns(const std::vector<ConfigRow>& configs) {
    for (const ConfigRow& c : configs) {
      for (const auto& n : c.phasor_names) {
        if (phasor_at.emplace(n, phasors.size()).second) phasors.push_back(n);
      }
      for (const auto& n : c.analog_names) {
        if (analog_at.emplace(n, analogs.size()).second) analogs.push_back(n);
      }
      digital_words = std::max(digital_words, c.digital_names.size() / 16);
    }
  }
};

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void AppendValue(std::string& out, double v, const char* format) {
  if (std::isnan(v)) return;
  char buf[48];
  std::snprintf(buf, sizeof(buf), format, v);
  out += buf;
}

void WriteCsvHeader(const Columns& cols) {
  std::string h = "time,time_us,idcode,station,cfgcnt,stat,freq_hz,rocof_hz_s";
  for (const auto& n : cols.phasors) h += "," + CsvField(n + "_mag") + "," + CsvField(n + "_deg");
  for (const auto& n : cols.analogs) h += "," + CsvField(n);
  for (std::size_t k = 0; k < cols.digital_words; ++k) h += ",digital" + std::to_string(k);
  std::cout << h << "\n";
}

void WriteCsvRow(std::string& out, const ReportRow& r, const ConfigRow* c, const Columns& cols) {
  out = FormatUtcUs(r.time_us) + "," + std::to_string(r.time_us) + "," + std::to_string(r.idcode) + ",";
  out += c ? CsvField(c->station) + "," + std::to_string(c->cfgcnt) : std::string(",");
  char buf[16];
  std::snprintf(buf, sizeof(buf), ",0x%04x,", r.stat);
  out += buf;
  AppendValue(out, r.freq_hz, "%.6f");
  out += ",";
  AppendValue(out, r.rocof_hz_s, "%.5f");
  std::vector<std::string> phasor_cells(cols.phasors.size() * 2), analog_cells(cols.analogs.size());
  for (std::size_t k = 0; c && k < r.phasor_count && k < c->phasor_names.size(); ++k) {
    const std::size_t at = cols.phasor_at.at(c->phasor_names[k]);
    AppendValue(phasor_cells[2 * at], r.magnitude[k], "%.9g");
    AppendValue(phasor_cells[2 * at + 1], r.angle_deg[k], "%.6f");
  }
  for (std::size_t k = 0; c && k < r.analog_count && k < c->analog_names.size(); ++k) {
    AppendValue(analog_cells[cols.analog_at.at(c->analog_names[k])], r.analog[k], "%.9g");
  }
  for (const auto& cell : phasor_cells) out += "," + cell;
  for (const auto& cell : analog_cells) out += "," + cell;
  for (std::size_t k = 0; k < cols.digital_words; ++k) {
    out += ",";
    if (k < r.digital_count) {
      std::snprintf(buf, sizeof(buf), "0x%04x", r.digital[k]);
      out += buf;
    }
  }
  out += "\n";
}

void AppendJsonNumber(std::string& out, double v, const char* format) {
  if (std::isnan(v)) {
    out += "null";
    return;
  }
  AppendValue(out, v, format);
}

void WriteJsonRow(std::string& out, const ReportRow& r, const ConfigRow* c) {
  out = "{\"type\": \"report\", \"time\": \"" + FormatUtcUs(r.time_us) + "\", \"time_us\": " + std::to_string(r.time_us) +
        ", \"idcode\": " + std::to_string(r.idcode) + ", \"station\": ";
  AppendJsonString(out, c ? c->station : std::string());
  char buf[64];
  std::snprintf(buf, sizeof(buf), ", \"cfgcnt\": %u, \"stat\": \"0x%04x\", \"freq\": ", c ? c->cfgcnt : 0u, r.stat);
  out += buf;
  AppendJsonNumber(out, r.freq_hz, "%.6f");
  out += ", \"rocof\": ";
  AppendJsonNumber(out, r.rocof_hz_s, "%.5f");
  out += ", \"phasors\": {";
  for (std::size_t k = 0; k < r.phasor_count; ++k) {
    if (k) out += ", ";
    AppendJsonString(out, c && k < c->phasor_names.size() ? c->phasor_names[k] : "phasor" + std::to_string(k));
    out += ": [";
    AppendJsonNumber(out, r.magnitude[k], "%.9g");
    out += ", ";
    AppendJsonNumber(out, r.angle_deg[k], "%.6f");
    out += "]";
  }
  out += "}, \"analogs\": {";
  for (std::size_t k = 0; k < r.analog_count; ++k) {
    if (k) out += ", ";
    AppendJsonString(out, c && k < c->analog_names.size() ? c->analog_names[k] : "analog" + std::to_string(k));
    out += ": ";
    AppendJsonNumber(out, r.analog[k], "%.9g");
  }
  out += "}, \"digital\": [";
  for (std::size_t k = 0; k < r.digital_count; ++k) out += (k ? ", " : "") + std::to_string(r.digital[k]);
  // Each named bit by its channel name.
  out += "], \"digital_bits\": {";
  bool first = true;
  for (std::size_t b = 0; c && b < c->digital_names.size() && b / 16 < r.digital_count; ++b) {
    if (c->digital_names[b].empty()) continue;
    if (!first) out += ", ";
    first = false;
    AppendJsonString(out, c->digital_names[b]);
    out += (r.digital[b / 16] >> (b % 16)) & 1 ? ": 1" : ": 0";
  }
  out += "}}\n";
}

void WriteEvent(const EventRow& e, bool json) {
  std::string out;
  if (json) {
    out = "{\"type\": \"event\", \"time\": \"" + FormatUtcUs(e.time_us) + "\", \"until\": \"" + FormatUtcUs(e.until_us) +
          "\", \"time_us\": " + std::to_string(e.time_us) + ", \"until_us\": " + std::to_string(e.until_us) +
          ", \"idcode\": " + (e.idcode >= 0 ? std::to_string(e.idcode) : "null") + ", \"kind\": ";
    AppendJsonString(out, e.kind);
    out += ", \"count\": " + std::to_string(e.count) + ", \"detail\": ";
    AppendJsonString(out, e.detail);
    out += "}\n";
  } else {
    out = FormatUtcUs(e.time_us) + "," + FormatUtcUs(e.until_us) + "," + (e.idcode >= 0 ? std::to_string(e.idcode) : "") +
          "," + CsvField(e.kind) + "," + std::to_string(e.count) + "," + CsvField(e.detail) + "\n";
  }
  std::cout << out;
}

// The reports as one COMTRADE record: a channel block per PMU (its first configuration
// in the export fixes the names), at the highest data rate among them; an instant
// without a PMU's report, or with a configuration of another layout, is missing values.
struct ComtradeExport {
  c37::ComtradeRecorder recorder;
  std::map<std::uint16_t, std::size_t> slot;  // IDCODE -> PMU block
  std::vector<c37::RecordedPmu> pmus;
  std::vector<std::vector<double>> values;
  std::vector<bool> present;
  std::int64_t instant = 0, time_us = 0;
  int rate = 1;
  bool pending = false;

  ComtradeExport(const std::string& prefix, const std::vector<ConfigRow>& configs) : recorder(prefix) {
    for (const ConfigRow& c : configs) {
      rate = std::max(rate, static_cast<int>(c.data_rate));
      if (!slot.emplace(c.idcode, pmus.size()).second) continue;
      c37::RecordedPmu p;
      p.station = c.station;
      p.phasor_names = c.phasor_names;
      for (const std::string& u : c.phasor_units) p.phasor_is_current.push_back(u == "A");
      p.analog_names = c.analog_names;
      p.nominal_hz = c.nominal_hz;
      pmus.push_back(std::move(p));
    }
    values.resize(pmus.size());
    present.assign(pmus.size(), false);
  }

  void Add(const ReportRow& r) {
    const auto it = slot.find(r.idcode);
    if (it == slot.end()) return;
    if (!recorder.started()) recorder.Start(pmus, rate, r.time_us);
    const std::int64_t at = recorder.InstantOf(r.time_us);
    if (pending && at != instant) Flush();
    pending = true;
    instant = at;
    time_us = r.time_us;
    const c37::RecordedPmu& p = pmus[it->second];
    if (r.phasor_count != p.phasor_names.size() || r.analog_count != p.analog_names.size()) return;
    std::vector<double>& v = values[it->second];
    v.clear();
    for (std::size_t k = 0; k < r.phasor_count; ++k) {
      v.push_back(r.magnitude[k]);
      v.push_back(r.angle_deg[k]);
    }
    v.push_back(r.freq_hz);
    v.push_back(r.rocof_hz_s);
    for (std::size_t k = 0; k < r.analog_count; ++k) v.push_back(r.analog[k]);
    present[it->second] = true;
  }

  void Flush() {
    std::vector<std::span<const double>> spans(pmus.size());
    for (std::size_t i = 0; i < pmus.size(); ++i) {
      if (present[i]) spans[i] = values[i];
      present[i] = false;
    }
    recorder.Add(time_us, spans);
    pending = false;
  }

  void Finish() {
    if (pending) Flush();
    recorder.Finish();
  }
};

int RunExport(const ExportOptions& o) {
  if (o.format != "csv" && o.format != "json" && o.format != "comtrade") {
    throw std::invalid_argument("--format must be csv, json or comtrade, not '" + o.format + "'");
  }
  const bool comtrade = o.format == "comtrade";
  if (comtrade && (o.output.empty() || o.events)) {
    throw std::invalid_argument(o.events ? "--format comtrade writes reports, not --events"
                                         : "--format comtrade needs -o PREFIX (it writes PREFIX.cfg and PREFIX.dat)");
  }
  if (!comtrade && !o.output.empty()) throw std::invalid_argument("-o is for --format comtrade");
  const bool json = o.format == "json";
  const ArchiveUrl url = ParseArchiveUrl(o.url);
  Query q;
  q.from_us = o.from.empty() ? INT64_MIN : ParseTimeArg(o.from);
  q.to_us = o.to.empty() ? INT64_MAX : ParseTimeArg(o.to);
  if (q.to_us <= q.from_us) throw std::invalid_argument("--to must be after --from");
  for (unsigned id : o.pmus) q.idcodes.push_back(static_cast<std::uint16_t>(id));
  std::uint64_t rows = 0, records = 0;
  try {
    std::unique_ptr<Reader> reader = OpenReader(url);
    if (o.events) {
      if (!json) std::cout << "time,until,idcode,kind,count,detail\n";
      reader->Events(q, [&](const EventRow& e) {
        WriteEvent(e, json);
        ++rows;
      });
    } else {
      const std::vector<ConfigRow> configs = reader->Configs(q);
      std::unordered_map<std::int64_t, const ConfigRow*> by_id;
      for (const ConfigRow& c : configs) by_id[c.config_id] = &c;
      if (comtrade) {
        if (configs.empty()) throw std::runtime_error("no reports in " + url.shown + " to write as a COMTRADE record");
        ComtradeExport record(o.output, configs);
        reader->Reports(q, [&](const ReportRow& r) {
          record.Add(r);
          ++rows;
        });
        record.Finish();
        records = record.recorder.records();
      } else {
        const Columns cols(configs);
        if (!json) WriteCsvHeader(cols);
        std::string line;
        reader->Reports(q, [&](const ReportRow& r) {
          const auto it = by_id.find(r.config_id);
          const ConfigRow* c = it == by_id.end() ? nullptr : it->second;
          if (json) {
            WriteJsonRow(line, r, c);
          } else {
            WriteCsvRow(line, r, c, cols);
          }
          std::cout << line;
          ++rows;
        });
      }
    }
  } catch (const ArchiveError& e) {
    if (url.kind == ArchiveUrl::Kind::kPostgres) throw NetError(e.what());
    throw std::runtime_error(e.what());
  }
  std::cout.flush();
  Report r;
  r.Add("archive", url.shown).Add(o.events ? "events" : "rows", rows);
  std::string said = std::to_string(rows) + (o.events ? " events" : " rows") + " from " + url.shown;
  if (comtrade) {
    r.Add("comtrade", o.output).Add("records", records);
    said += ", " + std::to_string(records) + " COMTRADE records in " + o.output + ".cfg/.dat";
  }
  r.Print(o.json, said);
  return kExitOk;
}

}  // namespace
}  // namespace pmu::pdc::archive

namespace pmu::pdc {

void AddArchiveCommands(CLI::App& app, std::function<int()>& run) {
  auto* archive = app.add_subcommand("archive", "read what --archive kept (docs/ARCHIVE.md)");
  archive->require_subcommand(1);
  auto o = std::make_shared<archive::ExportOptions>();
  auto* sub = archive->add_subcommand("export", "an archive's reports (or events) in time order, as CSV, JSON lines or a COMTRADE record");
  sub->add_option("url", o->url, "the archive: sqlite:FILE or postgresql://...")->required();
  sub->add_option("--from", o->from,
                  "first time stamp (UTC): 2026-11-22T10:15:30Z, with decimals or +HH:MM, a date, or seconds since 1970; "
                  "default: the first");
  sub->add_option("--to", o->to, "end (exclusive), as --from; default: the last");
  sub->add_option("--pmu", o->pmus, "only this IDCODE (repeatable)")->check(CLI::Range(1, 65534));
  sub->add_option("--format", o->format,
                  "csv (default: a column per channel name), json (lines), or comtrade (one C37.111-2013 FLOAT32 "
                  "record, -o PREFIX: each PMU's phasors as magnitude and angle channels, FREQ, ROCOF, analogs)");
  sub->add_option("-o,--output", o->output, "the COMTRADE record's PREFIX (--format comtrade): PREFIX.cfg, PREFIX.dat");
  sub->add_flag("--events", o->events, "the concentrator's events (late, missing, link_down, ...) instead of the reports");
  sub->add_flag("--json", o->json, "print the summary as one JSON object, last on standard output");
  sub->callback([&run, o] { run = [o] { return archive::RunExport(*o); }; });
}

}  // namespace pmu::pdc
