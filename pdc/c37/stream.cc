// pdc c37 stream: one PMU over TCP or UDP. Reads the header (when the PMU has one) and
// the configuration (CFG-2 or CFG-3), turns data on, prints each data frame, re-reads
// the configuration when the PMU says it changed (STAT bit 10, or a frame that no
// longer fits), and on Ctrl-C, a count or a duration turns data off and leaves.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include "c37.h"
#include "comtrade_recorder.h"
#include "format.h"
#include "link.h"
#include "stream_common.h"
#include "../exit_status.h"
#include "../observe/options.h"
#include "../report.h"
#include "../target.h"

namespace pmu::pdc::c37 {
namespace {

namespace p = proto::c37118;
using std::chrono::milliseconds;

// How often a UDP stream repeats data on, renewing its subscription (docs/PROTOCOL.md:
// the device's lease, c37.udp_lease_s, is at least 10 s).
constexpr milliseconds kUdpRenewal{5000};
// The header frame is optional for a PMU (IEEE C37.118.2), and some never
// answer the request for it: this long without one, the stream goes on without it.
// Over UDP that is the request and one repetition (requests repeat each second).
constexpr milliseconds kHeaderWait{2000};
constexpr milliseconds kUdpRepeat{1000};

struct StreamOptions {
  Target pmu{.timeout = "5"};  // port 0: the transport's (4712 TCP, 4713 UDP)
  bool udp = false;
  unsigned cfg = 2;
  unsigned idcode = 1;
  std::string format = "table";
  std::uint64_t count = 0;
  std::string duration;
  bool json = false;
  bool quiet_header = false;
  bool arrival = false;
  std::string comtrade;  // record prefix; empty: none
  observe::Options observe;  // --archive
};

std::int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// The PMU blocks of a data frame, for the COMTRADE record.
std::vector<RecordedBlock> BlocksOf(const p::ConfigFrame& config, const p::DataFrame& data) {
  std::vector<RecordedBlock> blocks;
  for (std::size_t k = 0; k < data.pmu_count; ++k) blocks.push_back({&config, k, &data.pmus[k]});
  return blocks;
}

// "2 s", "0.5 s": a wait as the user would write it for -t.
std::string FormatSeconds(milliseconds wait) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", static_cast<double>(wait.count()) / 1000.0);
  return buf;
}

// The configuration and the bytes its views point into.
struct HeldConfig {
  std::vector<std::byte> bytes;
  std::unique_ptr<p::ConfigFrame> frame = std::make_unique<p::ConfigFrame>();
  bool valid = false;
  bool CopyAndDecode(const p::Frame& f) {
    bytes.assign(f.bytes.begin(), f.bytes.end());
    valid = p::DecodeConfig(std::span<const std::byte>(bytes), *frame).ok();
    return valid;
  }
};

int RunStream(const StreamOptions& o) {
  const OutputFormat format = ParseOutputFormat(o.format);
  const milliseconds timeout = o.pmu.timeout_ms();
  const milliseconds duration = o.duration.empty() ? milliseconds(0) : ParseDuration(o.duration);
  const auto idcode = static_cast<std::uint16_t>(o.idcode);
  const p::CommandCode cfg_command = o.cfg == 3 ? p::CommandCode::kSendConfig3 : p::CommandCode::kSendConfig2;
  const p::FrameType cfg_type = o.cfg == 3 ? p::FrameType::kConfig3 : p::FrameType::kConfig2;
  StopOnSignals();

  const auto started = Clock::now();
  const unsigned port = o.pmu.port ? o.pmu.port : (o.udp ? 4713 : 4712);
  Link link(o.pmu.host, port, o.udp, o.pmu.family(), timeout);
  std::string header;
  bool header_received = false;
  HeldConfig config;
  const auto observers = observe::Start(o.observe, {{o.pmu.host + ":" + std::to_string(port), idcode}}, "pdc c37 stream");
  // Ask for a frame for up to `wait`; over UDP, ask again each second.
  auto request = [&](p::CommandCode code, p::FrameType want, milliseconds wait) -> std::optional<p::Frame> {
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline && !StopRequested()) {
      link.SendCommand(code, idcode);
      const auto until = link.udp() ? std::min(deadline, Clock::now() + kUdpRepeat) : deadline;
      while (Clock::now() < until && !StopRequested()) {
        auto f = link.Next(std::chrono::duration_cast<milliseconds>(until - Clock::now()));
        if (f && f->type == want) return *f;
      }
      if (!link.udp()) break;
    }
    return std::nullopt;
  };
  const milliseconds header_wait = std::min(timeout, kHeaderWait);
  if (const auto h = request(p::CommandCode::kSendHeader, p::FrameType::kHeader, header_wait)) {
    auto decoded = p::DecodeHeader(*h);
    header_received = decoded.ok();
    if (decoded.ok()) header.assign(decoded->text);
  }
  if (!header_received && !StopRequested()) {
    std::cerr << "pdc c37 stream: no header frame from " << link.peer().ToString() << " within "
              << FormatSeconds(header_wait) << "; going on without it (the header is optional)\n";
  }
  const auto cfg = request(cfg_command, cfg_type, timeout);
  if (!cfg) throw NetError("no answer to the request for the configuration within " + o.pmu.timeout + " s");
  if (!config.CopyAndDecode(*cfg)) throw ProtocolError("the PMU's configuration frame does not decode");
  if (observers) observers->OnConfig(0, config.bytes, MonotonicNs());
  if (!o.quiet_header && header_received) std::cerr << "header: " << header << "\n";
  std::string out;
  auto print_config = [&]() {
    if (format == OutputFormat::kJson) {
      std::cout << ConfigJson(*config.frame) << "\n";
    } else if (format != OutputFormat::kNone) {
      std::cerr << "configuration: " << ConfigJson(*config.frame) << "\n";
      std::cout << DataHeader(*config.frame, format);
    }
  };
  print_config();
  link.SendCommand(p::CommandCode::kDataOn, idcode);

  auto data = std::make_unique<p::DataFrame>();
  std::unique_ptr<ComtradeRecorder> recorder;
  if (!o.comtrade.empty()) recorder = std::make_unique<ComtradeRecorder>(o.comtrade);
  std::uint64_t frames = 0, undecodable = 0, config_changes = 0, others = 0;
  bool awaiting_config = false;
  auto last_data = Clock::now();
  auto asked_config = Clock::now();
  auto renewed = Clock::now();
  while (!StopRequested()) {
    if (o.count && frames >= o.count) break;
    if (duration.count() && Clock::now() - started >= duration) break;
    if (link.udp() && Clock::now() - renewed >= kUdpRenewal) {
      // A UDP subscription is a lease: data on again keeps it (the device's shortest
      // lease is twice this).
      link.SendCommand(p::CommandCode::kDataOn, idcode);
      renewed = Clock::now();
    }
    auto f = link.Next(milliseconds(100));
    if (!f) {
      if (Clock::now() - last_data > timeout) throw NetError("no data frame for " + o.pmu.timeout + " s");
      if (awaiting_config && link.udp() && Clock::now() - asked_config > milliseconds(1000)) {
        link.SendCommand(cfg_command, idcode);
        asked_config = Clock::now();
      }
      continue;
    }
    if (f->type == p::FrameType::kConfig1 || f->type == p::FrameType::kConfig2 || f->type == p::FrameType::kConfig3) {
      if (f->type != cfg_type && awaiting_config) continue;
      HeldConfig next;
      if (!next.CopyAndDecode(*f)) continue;
      config = std::move(next);
      if (observers) observers->OnConfig(0, config.bytes, MonotonicNs());
      if (awaiting_config) {
        awaiting_config = false;
        ++config_changes;
        print_config();
      }
      continue;
    }
    if (f->type != p::FrameType::kData) {
      ++others;
      continue;
    }
    last_data = Clock::now();
    if (awaiting_config) continue;
    const Status s = p::DecodeData(*f, *config.frame, *data);
    const bool changed_bit = s.ok() && (data->pmus[0].stat & p::kStatConfigChange);
    if (!s.ok() || changed_bit) {
      if (!s.ok()) ++undecodable;
      // The configuration changed: ask for it again and wait for it.
      awaiting_config = true;
      asked_config = Clock::now();
      link.SendCommand(cfg_command, idcode);
      if (!s.ok()) continue;
    }
    ++frames;
    if (recorder) {
      const std::uint32_t tb = config.frame->time_base;
      if (!recorder->started()) {
        recorder->Start(BlocksOf(*config.frame, *data), std::max<int>(1, config.frame->data_rate), data->time.soc,
                        data->time.fraction(), tb);
      }
      recorder->Add(BlocksOf(*config.frame, *data), data->time.soc, data->time.fraction(), tb);
    }
    if (observers) observers->OnData(0, f->bytes, observe::Arrival::kAccepted, MonotonicNs());
    out.clear();
    AppendData(out, *config.frame, *data, format);
    if (o.arrival && format == OutputFormat::kJson && out.size() > 2) {
      // When the frame was read, host UTC: for latency measurements.
      timespec ts{};
      clock_gettime(CLOCK_REALTIME, &ts);
      char buf[48];
      std::snprintf(buf, sizeof(buf), ", \"arrival\": %lld.%06ld}\n", static_cast<long long>(ts.tv_sec), ts.tv_nsec / 1000);
      out.resize(out.size() - 2);
      out += buf;
    }
    std::cout << out;
    if (format != OutputFormat::kNone && !o.json) std::cout.flush();
  }
  // Stop cleanly: data off, then close.
  try {
    link.SendCommand(p::CommandCode::kDataOff, idcode);
  } catch (const NetError&) {
  }
  if (recorder) recorder->Finish();
  if (observers) observers->Finish();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  Report r;
  r.Add("peer", link.peer().ToString())
      .Add("transport", std::string(link.udp() ? "udp" : "tcp"))
      .Add("idcode", static_cast<std::uint64_t>(config.frame->idcode))
      .Add("station", std::string(p::TrimName(config.frame->pmus[0].station_name)))
      .Add("cfgcnt", static_cast<std::uint64_t>(config.frame->pmus[0].config_count))
      .Add("data_rate", static_cast<std::int64_t>(config.frame->data_rate))
      .Add("frames", frames)
      .Add("undecodable", undecodable)
      .Add("rejected", link.rejected())
      .Add("config_changes", config_changes)
      .Add("header_received", header_received)
      .Add("header_bytes", static_cast<std::uint64_t>(header.size()))
      .Add("bytes", link.bytes())
      .Add("seconds", seconds);
  if (recorder) r.Add("comtrade_records", recorder->records()).Add("comtrade_gap_records", recorder->gap_records());
  std::cout.flush();
  r.Print(o.json, std::to_string(frames) + " data frames from " + link.peer().ToString() + " (IDCODE " +
                      std::to_string(config.frame->idcode) + ", CFGCNT " +
                      std::to_string(config.frame->pmus[0].config_count) + ") in " + std::to_string(seconds).substr(0, 5) +
                      " s; " + std::to_string(config_changes) + " configuration changes, " + std::to_string(undecodable) +
                      " undecodable, " + std::to_string(link.rejected()) + " rejected");
  return kExitOk;
}

}  // namespace

void AddStreamCommand(CLI::App* c37, std::function<int()>& run) {
  auto o = std::make_shared<StreamOptions>();
  auto* sub = c37->add_subcommand("stream", "read one PMU's header (if it has one), configuration and data frames");
  sub->add_option("host", o->pmu.host, "the PMU: host name or IPv4/IPv6 address")->required();
  AddPortOption(sub, o->pmu.port, "port (default 4712 TCP, 4713 UDP)");
  sub->add_flag("--udp", o->udp, "use UDP (commands and data as datagrams) instead of TCP");
  AddFamilyOptions(sub, o->pmu.only);
  sub->add_option("--cfg", o->cfg, "configuration to read: 2 (CFG-2, default) or 3 (CFG-3)")->check(CLI::IsMember({2, 3}));
  sub->add_option("--idcode", o->idcode, "IDCODE put in commands (default 1)")->check(CLI::Range(1, 65534));
  sub->add_option("--format", o->format, "data output: table (default), csv, json (lines) or none");
  sub->add_option("-n,--count", o->count, "stop after this many data frames");
  sub->add_option("-d,--duration", o->duration, "stop after this long: seconds or e.g. 500ms");
  AddTimeoutOption(sub, o->pmu.timeout, "give up after this long without an answer or data (default 5)");
  sub->add_flag("--json", o->json, "print the summary as one JSON object on standard output (last line)");
  sub->add_flag("-q,--quiet", o->quiet_header, "do not print the header text on standard error");
  sub->add_flag("--arrival", o->arrival, "with --format json: add each frame's arrival time (host UTC, seconds)");
  sub->add_option("--comtrade", o->comtrade,
                  "also write the data as a COMTRADE record (C37.111-2013, FLOAT32): PREFIX.cfg and PREFIX.dat, "
                  "each phasor as magnitude and angle channels, then FREQ, ROCOF and the analogs");
  observe::AddArchiveOptions(sub, o->observe);
  sub->footer("Stops on Ctrl-C (SIGINT) or SIGTERM too: sends data off, closes, prints the summary (exit 0).");
  sub->callback([&run, o] { run = [o] { return RunStream(*o); }; });
}

}  // namespace pmu::pdc::c37
