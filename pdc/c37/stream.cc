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

// pdc c37 stream in the order it happens: Connect (the link, and the observers that
// want its frames), ReadHeader, ReadConfig, data on, ReadData until a stop, Stop (data
// off, the record and the observers finished) and PrintSummary. The members are the
// link, the configuration the data frames decode against, and the summary's counts.
class StreamReader {
 public:
  explicit StreamReader(const StreamOptions& o);

  int Run() {
    StopOnSignals();
    Connect();
    ReadHeader();
    ReadConfig();
    PrintHeader();
    PrintConfig();
    link_->SendCommand(p::CommandCode::kDataOn, idcode_);
    if (!o_.comtrade.empty()) recorder_ = std::make_unique<ComtradeRecorder>(o_.comtrade);
    ReadData();
    Stop();
    PrintSummary();
    return kExitOk;
  }

 private:
  void Connect();
  std::optional<p::Frame> Request(p::CommandCode code, p::FrameType want, milliseconds wait);
  void ReadHeader();
  void ReadConfig();
  void PrintHeader() const;
  void PrintConfig() const;
  void ReadData();
  bool Done() const;
  void OnSilence();
  void OnConfigFrame(const p::Frame& f);
  void OnDataFrame(const p::Frame& f);
  void AskForConfig();
  void Record();
  void PrintData();
  void Stop();
  void PrintSummary();

  const StreamOptions& o_;
  const OutputFormat format_;
  const milliseconds timeout_;
  const milliseconds duration_;  // 0: no limit
  const std::uint16_t idcode_;
  const p::CommandCode cfg_command_;
  const p::FrameType cfg_type_;
  Clock::time_point started_{};
  // In the order they are made, so that they go in the reverse one: the record and the
  // observers before the configuration they were handed, the link last.
  std::unique_ptr<Link> link_;
  std::string header_;
  bool header_received_ = false;
  HeldConfig config_;
  std::unique_ptr<observe::Observers> observers_;
  std::unique_ptr<p::DataFrame> data_ = std::make_unique<p::DataFrame>();
  std::unique_ptr<ComtradeRecorder> recorder_;
  std::string out_;
  // While reading data.
  std::uint64_t frames_ = 0, undecodable_ = 0, config_changes_ = 0;
  bool awaiting_config_ = false;
  Clock::time_point last_data_{}, asked_config_{}, renewed_{};
};

StreamReader::StreamReader(const StreamOptions& o)
    : o_(o),
      format_(ParseOutputFormat(o.format)),
      timeout_(o.pmu.timeout_ms()),
      duration_(o.duration.empty() ? milliseconds(0) : ParseDuration(o.duration)),
      idcode_(static_cast<std::uint16_t>(o.idcode)),
      cfg_command_(o.cfg == 3 ? p::CommandCode::kSendConfig3 : p::CommandCode::kSendConfig2),
      cfg_type_(o.cfg == 3 ? p::FrameType::kConfig3 : p::FrameType::kConfig2) {}

void StreamReader::Connect() {
  started_ = Clock::now();
  const unsigned port = o_.pmu.port ? o_.pmu.port : (o_.udp ? 4713 : 4712);
  link_ = std::make_unique<Link>(o_.pmu.host, port, o_.udp, o_.pmu.family(), timeout_);
  observers_ = observe::Start(o_.observe, {{o_.pmu.host + ":" + std::to_string(port), idcode_}}, "pdc c37 stream");
}

// Asks for a frame for up to `wait`; over UDP, where a request or its answer may be
// lost, asks again each second.
std::optional<p::Frame> StreamReader::Request(p::CommandCode code, p::FrameType want, milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  while (Clock::now() < deadline && !StopRequested()) {
    link_->SendCommand(code, idcode_);
    const auto until = link_->udp() ? std::min(deadline, Clock::now() + kUdpRepeat) : deadline;
    while (Clock::now() < until && !StopRequested()) {
      auto f = link_->Next(std::chrono::duration_cast<milliseconds>(until - Clock::now()));
      if (f && f->type == want) return *f;
    }
    if (!link_->udp()) break;
  }
  return std::nullopt;
}

void StreamReader::ReadHeader() {
  const milliseconds header_wait = std::min(timeout_, kHeaderWait);
  if (const auto h = Request(p::CommandCode::kSendHeader, p::FrameType::kHeader, header_wait)) {
    auto decoded = p::DecodeHeader(*h);
    header_received_ = decoded.ok();
    if (decoded.ok()) header_.assign(decoded->text);
  }
  if (!header_received_ && !StopRequested()) {
    std::cerr << "pdc c37 stream: no header frame from " << link_->peer().ToString() << " within "
              << FormatSeconds(header_wait) << "; going on without it (the header is optional)\n";
  }
}

void StreamReader::ReadConfig() {
  const auto cfg = Request(cfg_command_, cfg_type_, timeout_);
  if (!cfg) throw NetError("no answer to the request for the configuration within " + FormatSeconds(timeout_));
  if (!config_.CopyAndDecode(*cfg)) throw ProtocolError("the PMU's configuration frame does not decode");
  if (observers_) observers_->OnConfig(0, config_.bytes, MonotonicNs());
}

void StreamReader::PrintHeader() const {
  if (!o_.quiet_header && header_received_) std::cerr << "header: " << header_ << "\n";
}

void StreamReader::PrintConfig() const {
  if (format_ == OutputFormat::kJson) {
    std::cout << ConfigJson(*config_.frame) << "\n";
  } else if (format_ != OutputFormat::kNone) {
    std::cerr << "configuration: " << ConfigJson(*config_.frame) << "\n";
    std::cout << DataHeader(*config_.frame, format_);
  }
}

void StreamReader::ReadData() {
  last_data_ = asked_config_ = renewed_ = Clock::now();
  while (!StopRequested() && !Done()) {
    if (link_->udp() && Clock::now() - renewed_ >= kUdpRenewal) {
      // A UDP subscription is a lease: data on again keeps it (the device's shortest
      // lease is twice this).
      link_->SendCommand(p::CommandCode::kDataOn, idcode_);
      renewed_ = Clock::now();
    }
    const auto f = link_->Next(milliseconds(100));
    if (!f) {
      OnSilence();
    } else if (f->type == p::FrameType::kConfig1 || f->type == p::FrameType::kConfig2 ||
               f->type == p::FrameType::kConfig3) {
      OnConfigFrame(*f);
    } else if (f->type == p::FrameType::kData) {
      OnDataFrame(*f);
    }
  }
}

// --count frames read or --duration over.
bool StreamReader::Done() const {
  if (o_.count && frames_ >= o_.count) return true;
  return duration_.count() && Clock::now() - started_ >= duration_;
}

// No frame for a moment: too long without data is the end; a configuration asked for
// over UDP is asked for again, since the request or the answer may have been lost.
void StreamReader::OnSilence() {
  if (Clock::now() - last_data_ > timeout_) throw NetError("no data frame for " + FormatSeconds(timeout_));
  if (awaiting_config_ && link_->udp() && Clock::now() - asked_config_ > kUdpRepeat) AskForConfig();
}

// A configuration: the one asked for after a change, or one the PMU sent unasked. While
// waiting for the one asked for, other kinds are passed over.
void StreamReader::OnConfigFrame(const p::Frame& f) {
  if (f.type != cfg_type_ && awaiting_config_) return;
  HeldConfig next;
  if (!next.CopyAndDecode(f)) return;
  config_ = std::move(next);
  if (observers_) observers_->OnConfig(0, config_.bytes, MonotonicNs());
  if (awaiting_config_) {
    awaiting_config_ = false;
    ++config_changes_;
    PrintConfig();
  }
}

void StreamReader::OnDataFrame(const p::Frame& f) {
  last_data_ = Clock::now();
  if (awaiting_config_) return;
  const Status s = p::DecodeData(f, *config_.frame, *data_);
  const bool changed_bit = s.ok() && (data_->pmus[0].stat & p::kStatConfigChange);
  if (!s.ok() || changed_bit) {
    // The configuration changed: ask for it again and wait for it.
    if (!s.ok()) ++undecodable_;
    AskForConfig();
    if (!s.ok()) return;
  }
  ++frames_;
  Record();
  if (observers_) observers_->OnData(0, f.bytes, observe::Arrival::kAccepted, MonotonicNs());
  PrintData();
}

void StreamReader::AskForConfig() {
  awaiting_config_ = true;
  asked_config_ = Clock::now();
  link_->SendCommand(cfg_command_, idcode_);
}

// The frame into the COMTRADE record (--comtrade), which starts with the first one.
void StreamReader::Record() {
  if (!recorder_) return;
  const std::uint32_t tb = config_.frame->time_base;
  if (!recorder_->started()) {
    recorder_->Start(BlocksOf(*config_.frame, *data_), std::max<int>(1, config_.frame->data_rate), data_->time.soc,
                     data_->time.fraction(), tb);
  }
  recorder_->Add(BlocksOf(*config_.frame, *data_), data_->time.soc, data_->time.fraction(), tb);
}

void StreamReader::PrintData() {
  out_.clear();
  AppendData(out_, *config_.frame, *data_, format_);
  if (o_.arrival && format_ == OutputFormat::kJson && out_.size() > 2) {
    // When the frame was read, host UTC: for latency measurements.
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    char buf[48];
    std::snprintf(buf, sizeof(buf), ", \"arrival\": %lld.%06ld}\n", static_cast<long long>(ts.tv_sec), ts.tv_nsec / 1000);
    out_.resize(out_.size() - 2);
    out_ += buf;
  }
  std::cout << out_;
  if (format_ != OutputFormat::kNone && !o_.json) std::cout.flush();
}

// Stops cleanly: data off (a link already gone cannot take it), then the record and
// the observers are finished.
void StreamReader::Stop() {
  try {
    link_->SendCommand(p::CommandCode::kDataOff, idcode_);
  } catch (const NetError&) {
  }
  if (recorder_) recorder_->Finish();
  if (observers_) observers_->Finish();
}

void StreamReader::PrintSummary() {
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  const p::ConfigFrame& config = *config_.frame;
  Report r;
  r.Add("peer", link_->peer().ToString())
      .Add("transport", std::string(link_->udp() ? "udp" : "tcp"))
      .Add("idcode", static_cast<std::uint64_t>(config.idcode))
      .Add("station", std::string(p::TrimName(config.pmus[0].station_name)))
      .Add("cfgcnt", static_cast<std::uint64_t>(config.pmus[0].config_count))
      .Add("data_rate", static_cast<std::int64_t>(config.data_rate))
      .Add("frames", frames_)
      .Add("undecodable", undecodable_)
      .Add("rejected", link_->rejected())
      .Add("config_changes", config_changes_)
      .Add("header_received", header_received_)
      .Add("header_bytes", static_cast<std::uint64_t>(header_.size()))
      .Add("bytes", link_->bytes())
      .Add("seconds", seconds);
  if (recorder_) r.Add("comtrade_records", recorder_->records()).Add("comtrade_gap_records", recorder_->gap_records());
  std::cout.flush();
  r.Print(o_.json, std::to_string(frames_) + " data frames from " + link_->peer().ToString() + " (IDCODE " +
                       std::to_string(config.idcode) + ", CFGCNT " + std::to_string(config.pmus[0].config_count) +
                       ") in " + std::to_string(seconds).substr(0, 5) + " s; " + std::to_string(config_changes_) +
                       " configuration changes, " + std::to_string(undecodable_) + " undecodable, " +
                       std::to_string(link_->rejected()) + " rejected");
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
  sub->callback([&run, o] { run = [o] { return StreamReader(*o).Run(); }; });
}

}  // namespace pmu::pdc::c37
