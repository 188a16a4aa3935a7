// pdc c37 concentrate: many PMUs over TCP, one epoll loop. Each link reads its PMU's
// configuration, turns data on, and feeds data frames (cut by the proto StreamDecoder
// from a buffer per link, never allocated per frame) to the Aligner, which emits
// time-aligned sets in order as soon as they are complete or their wait time expired.
// Links that fail reconnect with exponential back-off. With --serve PORT, the sets are
// also served as one combined C37.118.2 stream (NUM_PMU = number of PMUs) to PDCs that
// connect, as a substation PDC feeds a control-centre PDC.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#include "comtrade_recorder.h"
#include "aligner.h"
#include "c37.h"
#include "format.h"
#include "stream_common.h"
#include "../exit_status.h"
#include "../net.h"
#include "../observe/options.h"
#include "../target.h"
#include "pmu/proto/c37118_stream.h"

namespace pmu::pdc::c37 {
namespace {

namespace p = proto::c37118;
using std::chrono::milliseconds;

constexpr std::size_t kLinkBuffer = 16384;   // one frame: a PMU's CFG-3 fits
constexpr std::int64_t kMinBackoffNs = 250'000'000;
constexpr std::int64_t kMaxBackoffNs = 8'000'000'000;
constexpr std::size_t kMaxServeClients = 16;

std::int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

struct PmuTarget {
  std::string host;
  unsigned port = 4712;
  std::uint16_t idcode = 1;
};

// HOST, HOST:PORT or [IPv6]:PORT, then optionally /IDCODE (default: `position`, the
// target's place in the list from 1, as pmu-netns numbers a fleet).
PmuTarget ParsePmuTarget(const std::string& text, std::size_t position) {
  PmuTarget t;
  t.idcode = static_cast<std::uint16_t>(position);
  std::string rest = text;
  if (const auto slash = rest.rfind('/'); slash != std::string::npos) {
    t.idcode = static_cast<std::uint16_t>(std::stoul(rest.substr(slash + 1)));
    rest.resize(slash);
  }
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("bad target '" + text + "'");
    t.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') t.port = static_cast<unsigned>(std::stoul(rest.substr(close + 2)));
  } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
    const auto colon = rest.find(':');
    t.host = rest.substr(0, colon);
    t.port = static_cast<unsigned>(std::stoul(rest.substr(colon + 1)));
  } else {
    t.host = rest;
  }
  if (t.host.empty() || t.port == 0 || t.port > 65535) throw std::invalid_argument("bad target '" + text + "'");
  return t;
}

struct Options {
  std::vector<std::string> targets;
  FamilyChoice only;
  std::string wait = "100ms";
  std::string format = "json";
  std::string duration;
  std::uint64_t count = 0;
  unsigned cfg = 2;
  unsigned rate = 0;
  unsigned serve = 0;
  unsigned serve_idcode = 1000;
  std::string timeout = "5";
  bool json = false;
  std::string comtrade;  // record prefix; empty: none
  observe::Options observe;  // --http, --archive
};

enum class LinkState { kIdle, kConnecting, kAwaitConfig, kStreaming };

using PmuCounters = observe::SourceCounters;

struct PmuLink {
  PmuTarget target;
  std::vector<Endpoint> endpoints;
  std::size_t index = 0;
  LinkState state = LinkState::kIdle;
  int fd = -1;
  std::int64_t next_attempt = 0;
  std::int64_t backoff = kMinBackoffNs;
  std::int64_t asked_config = 0;
  std::vector<std::byte> buffer = std::vector<std::byte>(kLinkBuffer);
  p::StreamDecoder decoder{buffer};
  std::uint64_t rejected_seen = 0;
  std::vector<std::byte> config_bytes;
  std::unique_ptr<p::ConfigFrame> config = std::make_unique<p::ConfigFrame>();
  bool has_config = false;
  std::size_t frame_size = 0;
  PmuCounters counters;
  std::string last_error;
};

struct ServeClient {
  int fd = -1;
  std::vector<std::byte> buffer = std::vector<std::byte>(1024);
  p::StreamDecoder decoder{buffer};
  bool data_on = false;
  bool wants_config = false;
  bool wants_header = false;
  p::FrameType config_type = p::FrameType::kConfig2;
  std::uint16_t cfgcnt_seen = 0;
  std::string peer;
};

class Concentrator {
 public:
  explicit Concentrator(const Options& o) : o_(o), format_(ParseOutputFormat(o.format)) {
    wait_ns_ = ParseDuration(o.wait).count() * 1'000'000LL;
    timeout_ = ParseDuration(o.timeout);
    const Family family = o.only.family();
    for (const std::string& t : o.targets) {
      auto link = std::make_unique<PmuLink>();
      link->target = ParsePmuTarget(t, links_.size() + 1);
      link->endpoints = Resolve(link->target.host, link->target.port, family, SOCK_STREAM);
      link->index = links_.size();
      links_.push_back(std::move(link));
    }
    if (o.serve && links_.size() > p::kMaxPmus) {
      throw std::invalid_argument("--serve combines at most " + std::to_string(p::kMaxPmus) +
                                  " PMUs (PMU_C37118_MAX_PMUS of this build)");
    }
    // A socket per PMU: a thousand PMUs need more descriptors than the usual soft limit.
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < links_.size() + 64) {
      files.rlim_cur = std::min<rlim_t>(files.rlim_max, links_.size() + 64);
      setrlimit(RLIMIT_NOFILE, &files);
    }
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw NetError(std::string("epoll: ") + std::strerror(errno));
    if (o.serve) Listen(o.serve);
    if (!o.comtrade.empty()) recorder_ = std::make_unique<ComtradeRecorder>(o.comtrade);
    StartObservers();
  }
  ~Concentrator() {
    for (auto& l : links_) CloseLink(*l);
    for (auto& c : clients_) ::close(c->fd);
    if (listener_ >= 0) ::close(listener_);
    ::close(epoll_);
  }

  int Run();

 private:
  // ---- PMU links ----
  void Connect(PmuLink& l, std::int64_t now);
  void CloseLink(PmuLink& l) {
    if (l.fd >= 0) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, l.fd, nullptr);
      ::close(l.fd);
      l.fd = -1;
    }
  }
  void Fail(PmuLink& l, const std::string& why, std::int64_t now);
  void SendCommand(int fd, p::CommandCode code, std::uint16_t idcode) {
    p::CommandFrame cmd;
    cmd.idcode = idcode;
    cmd.command = code;
    std::byte buf[p::kCommandFrameSize];
    const auto n = p::EncodeCommand(cmd, buf);
    (void)!::send(fd, buf, *n, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  void OnLinkEvent(PmuLink& l, std::uint32_t events, std::int64_t now);
  void OnFrame(PmuLink& l, const p::Frame& f, std::int64_t now);
  std::int64_t KeyOf(const p::Frame& f, const p::ConfigFrame& c) const {
    const std::int64_t r = rate_;
    const std::int64_t within = std::llround(static_cast<double>(f.time.fraction()) * static_cast<double>(r) / c.time_base);
    return static_cast<std::int64_t>(f.time.soc) * r + within;
  }
  void Emit(const AlignedSet& set);
  // The set as one COMTRADE record (--comtrade): from the first set after every PMU's
  // configuration is known, each PMU's blocks in the order of the targets.
  void Record(const AlignedSet& set);

  // ---- the live view and the archive (pdc/observe) ----
  void StartObservers();
  void PublishCounters(std::int64_t now);

  // ---- serving ----
  void Listen(unsigned port);
  void Accept();
  void OnClientEvent(ServeClient& c);
  void DropClient(ServeClient& c);
  void ServeReplies(ServeClient& c);
  void RebuildCombined();
  void ServeSet(const AlignedSet& set);
  void SendTo(ServeClient& c, std::span<const std::byte> bytes);

  const Options& o_;
  OutputFormat format_;
  std::int64_t wait_ns_ = 0;
  milliseconds timeout_{5000};
  std::vector<std::unique_ptr<PmuLink>> links_;
  int epoll_ = -1;
  int rate_ = 0;
  std::unique_ptr<Aligner> aligner_;
  std::string out_;
  std::uint64_t bytes_ = 0;
  std::uint64_t sets_written_ = 0;
  std::vector<std::byte> read_buffer_ = std::vector<std::byte>(65536);
  std::unique_ptr<p::DataFrame> data_ = std::make_unique<p::DataFrame>();
  // Serving.
  int listener_ = -1;
  std::vector<std::unique_ptr<ServeClient>> clients_;
  std::unique_ptr<p::ConfigFrame> combined_ = std::make_unique<p::ConfigFrame>();
  bool combined_ready_ = false;
  std::uint16_t combined_cfgcnt_ = 0;
  std::unique_ptr<p::DataFrame> combined_data_ = std::make_unique<p::DataFrame>();
  std::vector<std::byte> encode_buffer_ = std::vector<std::byte>(p::kMaxFrameSize);
  std::uint64_t served_frames_ = 0, served_dropped_ = 0;
  // --comtrade.
  std::unique_ptr<ComtradeRecorder> recorder_;
  std::vector<std::unique_ptr<p::DataFrame>> recorded_;
  // Observers: nothing when neither --http nor --archive was given.
  std::unique_ptr<observe::Observers> observers_;
  std::int64_t counters_published_ = 0;
};

void Concentrator::StartObservers() {
  std::vector<observe::Source> sources;
  for (const auto& l : links_) sources.push_back({l->target.host + ":" + std::to_string(l->target.port), l->target.idcode});
  observers_ = observe::Start(o_.observe, sources, "pdc c37 concentrate");
}

void Concentrator::PublishCounters(std::int64_t now) {
  constexpr std::int64_t kEveryNs = 250'000'000;
  if (!observers_ || now - counters_published_ < kEveryNs) return;
  counters_published_ = now;
  for (const auto& l : links_) observers_->OnCounters(l->index, l->counters);
}

void Concentrator::Connect(PmuLink& l, std::int64_t now) {
  const Endpoint& e = l.endpoints[(l.counters.reconnects) % l.endpoints.size()];
  l.fd = socket(e.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (l.fd < 0) throw NetError(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(l.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  l.decoder.Reset();
  l.rejected_seen = l.decoder.frames_rejected();
  if (connect(l.fd, reinterpret_cast<const sockaddr*>(&e.addr), e.len) < 0 && errno != EINPROGRESS) {
    Fail(l, std::string("connect: ") + std::strerror(errno), now);
    return;
  }
  l.state = LinkState::kConnecting;
  l.asked_config = now;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = l.index;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, l.fd, &ev);
}

void Concentrator::Fail(PmuLink& l, const std::string& why, std::int64_t now) {
  if (why != l.last_error) std::cerr << "pdc c37 concentrate: " << l.target.host << ":" << l.target.port << ": " << why
                                     << "; reconnecting with back-off\n";
  l.last_error = why;
  if (observers_) observers_->OnLinkDown(l.index, why, now);
  CloseLink(l);
  l.state = LinkState::kIdle;
  l.next_attempt = now + l.backoff;
  l.backoff = std::min(l.backoff * 2, kMaxBackoffNs);
  ++l.counters.reconnects;
}

void Concentrator::OnLinkEvent(PmuLink& l, std::uint32_t events, std::int64_t now) {
  if (l.state == LinkState::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(l.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      Fail(l, std::string("connect: ") + std::strerror(err ? err : ECONNREFUSED), now);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = l.index;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, l.fd, &ev);
    l.state = LinkState::kAwaitConfig;
    l.asked_config = now;
    SendCommand(l.fd, o_.cfg == 3 ? p::CommandCode::kSendConfig3 : p::CommandCode::kSendConfig2, l.target.idcode);
    return;
  }
  for (int round = 0; round < 4; ++round) {  // bounded: other links get their turn
    const ssize_t n = recv(l.fd, read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      Fail(l, std::string("receive: ") + std::strerror(errno), now);
      return;
    }
    if (n == 0) {
      Fail(l, "the PMU closed the connection", now);
      return;
    }
    bytes_ += static_cast<std::uint64_t>(n);
    std::span<const std::byte> input(read_buffer_.data(), static_cast<std::size_t>(n));
    for (;;) {
      const auto out = l.decoder.Feed(input);
      input = input.subspan(out.consumed);
      if (!out.frame) break;
      OnFrame(l, *out.frame, now);
      if (l.fd < 0) return;
    }
    if (l.decoder.frames_rejected() != l.rejected_seen) {
      l.counters.corrupt += l.decoder.frames_rejected() - l.rejected_seen;
      l.rejected_seen = l.decoder.frames_rejected();
    }
    if (static_cast<std::size_t>(n) < read_buffer_.size()) return;
  }
}

void Concentrator::OnFrame(PmuLink& l, const p::Frame& f, std::int64_t now) {
  if (f.type == p::FrameType::kConfig1 || f.type == p::FrameType::kConfig2 || f.type == p::FrameType::kConfig3) {
    if (f.type == p::FrameType::kConfig1) return;
    std::vector<std::byte> bytes(f.bytes.begin(), f.bytes.end());
    auto config = std::make_unique<p::ConfigFrame>();
    const Status s = p::DecodeConfig(std::span<const std::byte>(bytes), *config);
    if (!s.ok()) {
      ++l.counters.corrupt;
      Fail(l, std::string("configuration does not decode: ") + s.message(), now);
      return;
    }
    const auto size = p::DataFrameSize(*config);
    if (!size.ok()) {
      Fail(l, std::string("configuration unusable: ") + size.status().message(), now);
      return;
    }
    const bool changed = !l.has_config || l.config->pmus[0].config_count != config->pmus[0].config_count ||
                         l.frame_size != *size;
    l.config_bytes = std::move(bytes);
    l.config = std::move(config);
    l.frame_size = *size;
    l.has_config = true;
    ++l.counters.config_reads;
    if (observers_) observers_->OnConfig(l.index, l.config_bytes, now);
    if (rate_ == 0) {
      rate_ = o_.rate ? static_cast<int>(o_.rate) : (l.config->data_rate > 0 ? l.config->data_rate : 1);
      const std::size_t slots = static_cast<std::size_t>(std::ceil(static_cast<double>(wait_ns_) * 1e-9 * rate_)) + 8;
      aligner_ = std::make_unique<Aligner>(links_.size(), slots, 256, wait_ns_);
    }
    if (l.state == LinkState::kAwaitConfig) {
      SendCommand(l.fd, p::CommandCode::kDataOn, l.target.idcode);
      l.state = LinkState::kStreaming;
      l.backoff = kMinBackoffNs;
      l.last_error.clear();
    }
    if (changed && o_.serve) RebuildCombined();
    return;
  }
  if (f.type != p::FrameType::kData || l.state != LinkState::kStreaming) return;
  const p::ConfigFrame& c = *l.config;
  // STAT bit 10 (first PMU block): the configuration changed; read it again. Frames of
  // a new layout until it arrives cannot be read: dropped, not counted as corrupt.
  const bool changed = f.bytes.size() >= p::kMinFrameSize + 2 &&
                       (LoadBe16(f.bytes.data() + p::kCommonHeaderSize) & p::kStatConfigChange);
  if (changed && now - l.asked_config > 500'000'000) {
    l.asked_config = now;
    SendCommand(l.fd, o_.cfg == 3 ? p::CommandCode::kSendConfig3 : p::CommandCode::kSendConfig2, l.target.idcode);
  }
  if (f.idcode != c.idcode || f.bytes.size() != l.frame_size || f.time.fraction() >= c.time_base) {
    if (changed) {
      ++l.counters.unreadable;
    } else {
      ++l.counters.corrupt;
    }
    return;
  }
  const auto outcome = aligner_->Add(l.index, KeyOf(f, c), f.bytes, now, [this](const AlignedSet& s) { Emit(s); });
  switch (outcome) {
    case Aligner::Outcome::kAccepted: ++l.counters.frames; break;
    case Aligner::Outcome::kLate: ++l.counters.late; break;
    case Aligner::Outcome::kDuplicate: ++l.counters.duplicate; break;
  }
  if (observers_) {
    observers_->OnData(l.index, f.bytes,
                       outcome == Aligner::Outcome::kAccepted ? observe::Arrival::kAccepted
                       : outcome == Aligner::Outcome::kLate   ? observe::Arrival::kLate
                                                              : observe::Arrival::kDuplicate,
                       now);
  }
}

void Concentrator::Emit(const AlignedSet& set) {
  ++sets_written_;
  for (std::size_t i = 0; i < set.frames.size(); ++i) {
    if (set.frames[i].empty()) ++links_[i]->counters.missing;
  }
  if (listener_ >= 0) ServeSet(set);
  if (recorder_) Record(set);
  if (observers_) observers_->OnSet(set, rate_);
  if (format_ == OutputFormat::kNone) return;
  const std::int64_t soc = set.key / rate_;
  const std::int64_t us = std::llround(static_cast<double>(set.key % rate_) * 1e6 / rate_);
  const std::string time = FormatTime(static_cast<std::uint32_t>(soc), static_cast<std::uint32_t>(us), 1'000'000);
  char buf[160];
  if (format_ == OutputFormat::kJson) {
    std::snprintf(buf, sizeof(buf), "{\"type\": \"set\", \"soc\": %lld, \"fracsec_us\": %lld, \"time\": \"%s\", "
                  "\"complete\": %s, \"present\": %zu, \"missing\": [",
                  static_cast<long long>(soc), static_cast<long long>(us), time.c_str(), set.complete ? "true" : "false",
                  set.present);
    out_ += buf;
    bool first = true;
    for (std::size_t i = 0; i < set.frames.size(); ++i) {
      if (!set.frames[i].empty()) continue;
      const PmuLink& l = *links_[i];
      out_ += (first ? "" : ", ") + std::to_string(l.has_config ? l.config->pmus[0].idcode : l.target.idcode);
      first = false;
    }
    out_ += "], \"pmus\": [";
    first = true;
    for (std::size_t i = 0; i < set.frames.size(); ++i) {
      if (set.frames[i].empty()) continue;
      const PmuLink& l = *links_[i];
      if (!p::DecodeData(set.frames[i], *l.config, *data_).ok()) continue;
      for (std::size_t k = 0; k < data_->pmu_count; ++k) {
        if (!first) out_ += ", ";
        AppendPmuJson(out_, *l.config, k, data_->pmus[k]);
        first = false;
      }
    }
    out_ += "]}\n";
  } else {
    for (std::size_t i = 0; i < set.frames.size(); ++i) {
      const PmuLink& l = *links_[i];
      std::snprintf(buf, sizeof(buf), "%s,%lld,%lld,%d,%u,%d", time.c_str(), static_cast<long long>(soc),
                    static_cast<long long>(us), set.complete ? 1 : 0,
                    l.has_config ? l.config->pmus[0].idcode : l.target.idcode, set.frames[i].empty() ? 0 : 1);
      out_ += buf;
      if (!set.frames[i].empty() && l.has_config && p::DecodeData(set.frames[i], *l.config, *data_).ok()) {
        const p::PmuData& d = data_->pmus[0];
        std::snprintf(buf, sizeof(buf), ",0x%04x,%.6f,%.4f,", d.stat, p::FrequencyHz(*l.config, 0, d).value_or(NAN),
                      p::RocofHzPerSecond(*l.config, 0, d).value_or(NAN));
        out_ += buf;
        for (std::size_t k = 0; k < l.config->pmus[0].phasor_count; ++k) {
          const auto v = p::ScalePhasor(*l.config, 0, k, d.phasors[k]);
          std::snprintf(buf, sizeof(buf), "%s%s=%.6g@%.4f", k ? ";" : "",
                        std::string(p::TrimName(l.config->pmus[0].phasor_names[k])).c_str(),
                        v.ok() ? v->magnitude : NAN, v.ok() ? v->angle * 57.29577951308232 : NAN);
          out_ += buf;
        }
      } else {
        out_ += ",,,,";
      }
      out_ += "\n";
    }
  }
  if (out_.size() > 65536) {
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    out_.clear();
  }
}

void Concentrator::Record(const AlignedSet& set) {
  if (recorded_.size() != links_.size()) {
    for (std::size_t i = recorded_.size(); i < links_.size(); ++i) recorded_.push_back(std::make_unique<p::DataFrame>());
  }
  std::vector<RecordedBlock> blocks;
  for (std::size_t i = 0; i < set.frames.size(); ++i) {
    const PmuLink& l = *links_[i];
    if (!l.has_config) {
      if (!recorder_->started()) return;  // the layout needs every PMU's configuration
      blocks.push_back({});
      continue;
    }
    const bool decoded = !set.frames[i].empty() && p::DecodeData(set.frames[i], *l.config, *recorded_[i]).ok();
    for (std::size_t k = 0; k < l.config->pmu_count; ++k) {
      blocks.push_back({l.config.get(), k, decoded ? &recorded_[i]->pmus[k] : nullptr});
    }
  }
  const std::int64_t soc = set.key / rate_;
  const auto within = static_cast<std::uint32_t>(set.key % rate_);
  if (!recorder_->started()) recorder_->Start(blocks, rate_, static_cast<std::uint32_t>(soc), within,
                                              static_cast<std::uint32_t>(rate_));
  recorder_->Add(blocks, static_cast<std::uint32_t>(soc), within, static_cast<std::uint32_t>(rate_));
}

// ---- serving the combined stream ---------------------------------------------------------

void Concentrator::Listen(unsigned port) {
  listener_ = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int zero = 0, one = 1;
  setsockopt(listener_, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<std::uint16_t>(port));
  a.sin6_addr = in6addr_any;
  if (bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0 || listen(listener_, 16) < 0) {
    throw NetError("cannot serve on TCP port " + std::to_string(port) + ": " + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &ev);
  std::cerr << "pdc c37 concentrate: serving the combined stream on TCP port " << port << " (IDCODE "
            << o_.serve_idcode << ")\n";
}

void Concentrator::Accept() {
  sockaddr_storage peer{};
  socklen_t len = sizeof(peer);
  const int fd = accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  if (clients_.size() >= kMaxServeClients) {
    ::close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  auto c = std::make_unique<ServeClient>();
  c->fd = fd;
  c->cfgcnt_seen = combined_cfgcnt_;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = (1ull << 62) | static_cast<std::uint64_t>(fd);
  epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  clients_.push_back(std::move(c));
}

void Concentrator::DropClient(ServeClient& c) {
  epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  c.fd = -1;
}

void Concentrator::SendTo(ServeClient& c, std::span<const std::byte> bytes) {
  const ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n == static_cast<ssize_t>(bytes.size())) return;
  if (n < 0 && errno != EAGAIN) {
    DropClient(c);
    return;
  }
  // A partial frame would break the stream: a client this slow is dropped.
  if (n > 0) DropClient(c);
  ++served_dropped_;
}

void Concentrator::RebuildCombined() {
  // PMUs whose configuration is not known (yet) get a placeholder block with no
  // channels: their data blocks say "absent" until their configuration arrives.
  if (rate_ == 0) return;
  p::ConfigFrame& c = *combined_;
  c = p::ConfigFrame{};
  c.type = p::FrameType::kConfig2;
  c.idcode = static_cast<std::uint16_t>(o_.serve_idcode);
  c.time_base = 1'000'000;
  c.data_rate = static_cast<std::int16_t>(rate_);
  c.pmu_count = static_cast<std::uint16_t>(links_.size());
  ++combined_cfgcnt_;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const PmuLink& l = *links_[i];
    if (l.has_config) {
      c.pmus[i] = l.config->pmus[0];  // views into that link's config bytes
      // Clients may ask for CFG-2 or CFG-3 whichever was read from the PMU: both must
      // scale the data alike.
      if (!p::CompleteScales(c.pmus[i], l.config->type)) {
        std::cerr << "pdc c37 concentrate: " << l.target.host << ":" << l.target.port
                  << ": its CFG-3 has offsets or scales CFG-2 cannot express; a served CFG-2 shows its values "
                     "differently\n";
      }
    } else {
      c.pmus[i] = p::PmuConfig{};
      c.pmus[i].station_name = std::string_view(l.target.host).substr(0, p::kFixedNameSize);
      c.pmus[i].idcode = l.target.idcode;
      c.pmus[i].format.freq_float = true;
    }
    c.pmus[i].config_count = combined_cfgcnt_;
  }
  combined_ready_ = true;
  std::cerr << "pdc c37 concentrate: combined configuration of " << links_.size() << " PMUs, CFGCNT "
            << combined_cfgcnt_ << "\n";
  for (auto& cl : clients_) {
    if (cl->fd >= 0) ServeReplies(*cl);
  }
}

void Concentrator::ServeReplies(ServeClient& c) {
  if (c.wants_header) {
    c.wants_header = false;
    p::HeaderFrame h;
    h.idcode = static_cast<std::uint16_t>(o_.serve_idcode);
    const std::string text = "pdc c37 concentrate: " + std::to_string(links_.size()) + " PMUs aligned at " +
                             std::to_string(rate_) + " frames/s with a wait time of " + o_.wait +
                             "; absent PMUs carry STAT 0x8000 and no values.";
    h.text = text;
    auto n = p::EncodeHeader(h, encode_buffer_);
    if (n.ok()) SendTo(c, std::span<const std::byte>(encode_buffer_.data(), *n));
  }
  if (c.fd >= 0 && c.wants_config && combined_ready_) {
    c.wants_config = false;
    combined_->type = c.config_type;
    combined_->version = c.config_type == p::FrameType::kConfig3 ? p::Version::k2011 : p::kDefaultVersion;
    auto n = p::EncodeConfig(*combined_, encode_buffer_);
    combined_->type = p::FrameType::kConfig2;
    if (n.ok()) {
      c.cfgcnt_seen = combined_cfgcnt_;
      SendTo(c, std::span<const std::byte>(encode_buffer_.data(), *n));
    } else {
      std::cerr << "pdc c37 concentrate: cannot encode the combined configuration: " << n.status().message() << "\n";
    }
  }
}

void Concentrator::OnClientEvent(ServeClient& c) {
  std::byte buf[2048];
  const ssize_t n = recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    DropClient(c);
    return;
  }
  std::span<const std::byte> input(buf, static_cast<std::size_t>(n));
  for (;;) {
    const auto out = c.decoder.Feed(input);
    input = input.subspan(out.consumed);
    if (!out.frame) break;
    const auto cmd = p::DecodeCommand(*out.frame);
    if (!cmd.ok()) continue;
    switch (cmd->command) {
      case p::CommandCode::kDataOff: c.data_on = false; break;
      case p::CommandCode::kDataOn: c.data_on = true; break;
      case p::CommandCode::kSendHeader: c.wants_header = true; break;
      case p::CommandCode::kSendConfig1:
      case p::CommandCode::kSendConfig2:
        c.wants_config = true;
        c.config_type = cmd->command == p::CommandCode::kSendConfig1 ? p::FrameType::kConfig1 : p::FrameType::kConfig2;
        break;
      case p::CommandCode::kSendConfig3:
        c.wants_config = true;
        c.config_type = p::FrameType::kConfig3;
        break;
      default: break;
    }
  }
  ServeReplies(c);
}

void Concentrator::ServeSet(const AlignedSet& set) {
  if (!combined_ready_) return;
  bool anyone = false;
  for (auto& c : clients_) anyone |= c->fd >= 0 && c->data_on;
  if (!anyone) return;
  p::DataFrame& d = *combined_data_;
  d = p::DataFrame{};
  d.idcode = combined_->idcode;
  d.pmu_count = combined_->pmu_count;
  const std::int64_t soc = set.key / rate_;
  const std::int64_t within = set.key % rate_;
  d.time.soc = static_cast<std::uint32_t>(soc);
  d.time.fracsec = static_cast<std::uint32_t>(std::llround(static_cast<double>(within) * 1e6 / rate_));
  for (std::size_t i = 0; i < set.frames.size(); ++i) {
    p::PmuData& out = d.pmus[i];
    const PmuLink& l = *links_[i];
    // A source whose layout changed before the combined configuration was rebuilt is
    // absent from this set (the rebuild follows every change).
    if (!set.frames[i].empty() && l.has_config && p::DecodeData(set.frames[i], *l.config, *data_).ok() &&
        combined_->pmus[i].phasor_count == l.config->pmus[0].phasor_count) {
      out = data_->pmus[0];
      continue;
    }
    // Absent: "data error 10: absent data inserted, do not use values" (2011 STAT).
    out.stat = 0x8000;
    const p::PmuConfig& pc = combined_->pmus[i];
    for (std::size_t k = 0; k < pc.phasor_count; ++k) out.phasors[k] = {NAN, NAN};
    out.frequency = out.rocof = NAN;
    for (std::size_t k = 0; k < pc.analog_count; ++k) out.analogs[k] = NAN;
  }
  const auto n = p::EncodeData(d, *combined_, encode_buffer_);
  if (!n.ok()) return;
  const std::span<const std::byte> plain(encode_buffer_.data(), *n);
  std::vector<std::byte> marked;
  for (auto& c : clients_) {
    if (c->fd < 0 || !c->data_on) continue;
    if (c->cfgcnt_seen != combined_cfgcnt_) {
      if (marked.empty()) {
        marked.assign(plain.begin(), plain.end());
        for (std::size_t i = 0, off = p::kCommonHeaderSize; i < d.pmu_count; ++i) {
          StoreBe16(marked.data() + off, static_cast<std::uint16_t>(LoadBe16(marked.data() + off) | p::kStatConfigChange));
          // PMU blocks are laid out back to back; the next STAT follows this block.
          const p::PmuConfig& pc = combined_->pmus[i];
          off += 2 + pc.phasor_count * (pc.format.phasor_float ? 8u : 4u) + (pc.format.freq_float ? 8u : 4u) +
                 pc.analog_count * (pc.format.analog_float ? 4u : 2u) + 2u * pc.digital_count;
        }
        const std::size_t body = marked.size() - p::kCheckSize;
        StoreBe16(marked.data() + body, p::Crc16Ccitt(std::span<const std::byte>(marked.data(), body)));
      }
      SendTo(*c, marked);
    } else {
      SendTo(*c, plain);
    }
    ++served_frames_;
  }
}

int Concentrator::Run() {
  StopOnSignals();
  const std::int64_t started = NowNs();
  const std::int64_t duration = o_.duration.empty() ? 0 : ParseDuration(o_.duration).count() * 1'000'000LL;
  rusage ru0{};
  getrusage(RUSAGE_SELF, &ru0);
  std::vector<epoll_event> events(256);
  if (format_ == OutputFormat::kCsv) {
    std::fputs("time,soc,fracsec_us,set_complete,idcode,present,stat,freq_hz,rocof_hz_s,phasors\n", stdout);
  }
  while (!StopRequested()) {
    std::int64_t now = NowNs();
    if (duration && now - started >= duration) break;
    if (o_.count && aligner_ && aligner_->counters().sets >= o_.count) break;
    std::int64_t wake = now + 100'000'000;
    for (auto& l : links_) {
      if (l->state == LinkState::kIdle) {
        if (now >= l->next_attempt) {
          Connect(*l, now);
        } else {
          wake = std::min(wake, l->next_attempt);
        }
      } else if (l->state != LinkState::kStreaming && now - l->asked_config > timeout_.count() * 1'000'000LL) {
        Fail(*l, l->state == LinkState::kConnecting ? "connection timed out" : "no configuration in time", now);
      }
    }
    if (aligner_) {
      const std::int64_t d = aligner_->NextDeadline();
      if (d >= 0) wake = std::min(wake, d);
    }
    if (duration) wake = std::min(wake, started + duration);
    const int timeout_ms = static_cast<int>(std::max<std::int64_t>(0, (wake - now + 999'999) / 1'000'000));
    const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) throw NetError(std::string("epoll_wait: ") + std::strerror(errno));
    now = NowNs();
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[i].data.u64;
      if (tag == UINT64_MAX) {
        Accept();
      } else if (tag & (1ull << 62)) {
        const int fd = static_cast<int>(tag & 0xFFFFFFFF);
        for (auto& c : clients_) {
          if (c->fd == fd) OnClientEvent(*c);
        }
      } else if (tag < links_.size() && links_[tag]->fd >= 0) {
        OnLinkEvent(*links_[tag], events[i].events, now);
      }
    }
    if (aligner_) aligner_->Flush(NowNs(), [this](const AlignedSet& s) { Emit(s); });
    PublishCounters(now);
    std::erase_if(clients_, [](const std::unique_ptr<ServeClient>& c) { return c->fd < 0; });
    if (!out_.empty()) {
      std::fwrite(out_.data(), 1, out_.size(), stdout);
      std::fflush(stdout);
      out_.clear();
    }
  }
  if (recorder_) recorder_->Finish();
  // Sets still open are dropped, not counted. Data off to every PMU, then close.
  for (auto& l : links_) {
    if (l->state == LinkState::kStreaming) SendCommand(l->fd, p::CommandCode::kDataOff, l->target.idcode);
  }
  if (observers_) {
    PublishCounters(INT64_MAX);
    observers_->Finish();
  }
  rusage ru1{};
  getrusage(RUSAGE_SELF, &ru1);
  auto cpu = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
  };
  const double seconds = static_cast<double>(NowNs() - started) * 1e-9;
  const double cpu_s = cpu(ru1) - cpu(ru0);
  AlignerCounters a = aligner_ ? aligner_->counters() : AlignerCounters{};
  PmuCounters total;
  std::size_t streaming = 0;
  std::string per_pmu;
  for (auto& l : links_) {
    const PmuCounters& c = l->counters;
    total.corrupt += c.corrupt;
    total.reconnects += c.reconnects;
    streaming += l->state == LinkState::kStreaming;
    char buf[320];
    std::snprintf(buf, sizeof(buf),
                  "%s{\"target\": %s, \"idcode\": %u, \"frames\": %llu, \"late\": %llu, \"missing\": %llu, "
                  "\"duplicate\": %llu, \"corrupt\": %llu, \"reconnects\": %llu, \"config_reads\": %llu, "
                  "\"unreadable\": %llu}",
                  per_pmu.empty() ? "" : ", ", JsonString(l->target.host + ":" + std::to_string(l->target.port)).c_str(),
                  l->has_config ? l->config->pmus[0].idcode : l->target.idcode,
                  static_cast<unsigned long long>(c.frames), static_cast<unsigned long long>(c.late),
                  static_cast<unsigned long long>(c.missing), static_cast<unsigned long long>(c.duplicate),
                  static_cast<unsigned long long>(c.corrupt), static_cast<unsigned long long>(c.reconnects),
                  static_cast<unsigned long long>(c.config_reads), static_cast<unsigned long long>(c.unreadable));
    per_pmu += buf;
  }
  char head[640];
  std::snprintf(head, sizeof(head),
                "{\"pmus\": %zu, \"streaming\": %zu, \"rate\": %d, \"wait_ms\": %.1f, \"sets\": %llu, \"complete\": %llu, "
                "\"frames\": %llu, \"late\": %llu, \"missing\": %llu, \"duplicate\": %llu, \"corrupt\": %llu, "
                "\"forced\": %llu, \"reconnects\": %llu, \"bytes\": %llu, \"served_frames\": %llu, "
                "\"served_dropped\": %llu, \"seconds\": %.3f, \"cpu_seconds\": %.3f, \"frames_per_cpu_second\": %.0f, ",
                links_.size(), streaming, rate_, static_cast<double>(wait_ns_) * 1e-6, static_cast<unsigned long long>(a.sets),
                static_cast<unsigned long long>(a.complete), static_cast<unsigned long long>(a.frames),
                static_cast<unsigned long long>(a.late), static_cast<unsigned long long>(a.missing),
                static_cast<unsigned long long>(a.duplicate), static_cast<unsigned long long>(total.corrupt),
                static_cast<unsigned long long>(a.forced), static_cast<unsigned long long>(total.reconnects),
                static_cast<unsigned long long>(bytes_), static_cast<unsigned long long>(served_frames_),
                static_cast<unsigned long long>(served_dropped_), seconds, cpu_s,
                cpu_s > 0 ? static_cast<double>(a.frames + a.late + a.duplicate) / cpu_s : 0.0);
  std::fflush(stdout);
  std::string record;
  if (recorder_) {
    record = "\"comtrade_records\": " + std::to_string(recorder_->records()) +
             ", \"comtrade_gap_records\": " + std::to_string(recorder_->gap_records()) + ", ";
  }
  if (o_.json) {
    std::cout << head << record << "\"per_pmu\": [" << per_pmu << "]}\n";
  } else {
    std::cerr << a.sets << " sets (" << a.complete << " complete) from " << links_.size() << " PMUs in " << seconds
              << " s: " << a.frames << " frames, " << a.late << " late, " << a.missing << " missing, " << a.duplicate
              << " duplicate, " << total.corrupt << " corrupt, " << total.reconnects << " reconnects\n";
  }
  std::cout.flush();
  return kExitOk;
}

// What concentrate and view both take: the PMUs, how to reach them, and how their frames
// are aligned.
void AddSourceOptions(CLI::App* sub, Options& o) {
  sub->add_option("targets", o.targets,
                  "PMUs: HOST, HOST:PORT or [IPv6]:PORT, optionally /IDCODE (default: the position, 1, 2, ...)")
      ->required();
  AddFamilyOptions(sub, o.only);
  AddTimeoutOption(sub, o.timeout, "give up on a connection or configuration after this long (default 5)");
  sub->add_option("-w,--wait", o.wait, "how long a set waits for its last PMU after its first frame (default 100ms)");
  sub->add_option("--cfg", o.cfg, "configuration to read from each PMU: 2 (default) or 3")->check(CLI::IsMember({2, 3}));
  sub->add_option("--rate", o.rate, "alignment grid in frames/s (default: the first PMU's rate)");
}

}  // namespace

void AddConcentrateCommand(CLI::App* c37, std::function<int()>& run) {
  auto o = std::make_shared<Options>();
  auto* sub = c37->add_subcommand("concentrate", "align many PMUs' data frames by time stamp");
  AddSourceOptions(sub, *o);
  sub->add_option("--format", o->format, "aligned sets as json (lines, default), csv or none");
  sub->add_option("-d,--duration", o->duration, "stop after this long");
  sub->add_option("-n,--count", o->count, "stop after this many sets");
  sub->add_option("--serve", o->serve, "also serve the aligned sets as one C37.118.2 stream on this TCP port")
      ->check(CLI::Range(1, 65535));
  sub->add_option("--serve-idcode", o->serve_idcode, "IDCODE of the served stream (default 1000)")
      ->check(CLI::Range(1, 65534));
  sub->add_flag("--json", o->json, "print the summary (with per-PMU counts) as one JSON object, last on standard output");
  sub->add_option("--comtrade", o->comtrade,
                  "also write the aligned sets as one COMTRADE record (C37.111-2013, FLOAT32): PREFIX.cfg and "
                  "PREFIX.dat, every PMU's phasors as magnitude and angle channels, FREQ, ROCOF, analogs");
  observe::AddViewOption(sub, o->observe);
  observe::AddArchiveOptions(sub, o->observe);
  sub->footer("Stops on Ctrl-C (SIGINT) or SIGTERM too. Sets still waiting then are dropped, not counted.");
  sub->callback([&run, o] { run = [o] { return Concentrator(*o).Run(); }; });
}

// pdc c37 view: the concentrator with the live view on and no output of its own.
void AddViewCommand(CLI::App* c37, std::function<int()>& run) {
  auto o = std::make_shared<Options>();
  o->format = "none";
  o->observe.http_port = observe::kDefaultViewPort;
  auto* sub = c37->add_subcommand("view", "watch many PMUs live in a web browser: phasors, frequency, ROCOF, STAT, counters");
  AddSourceOptions(sub, *o);
  sub->add_option("-d,--duration", o->duration, "stop after this long (default: until Ctrl-C)");
  sub->add_flag("--json", o->json, "print the summary (with per-PMU counts) as one JSON object on standard output");
  sub->add_option("--http", o->observe.http_port,
                  "serve the page on this port of localhost (default " + std::to_string(observe::kDefaultViewPort) +
                      "; 0: any free port, printed)")
      ->check(CLI::Range(0, 65535));
  observe::AddArchiveOptions(sub, o->observe);
  sub->footer("Prints the page's address on standard error; open it in a browser on this machine. The page works\n"
              "offline: everything it needs is inside pdc. Stops on Ctrl-C (SIGINT) or SIGTERM.");
  sub->callback([&run, o] { run = [o] { return Concentrator(*o).Run(); }; });
}

}  // namespace pmu::pdc::c37
