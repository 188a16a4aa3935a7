// c37_fleet: the two sides of the PDC ingest benchmark (bench/pdc_ingest.sh).
//
//   c37_fleet serve COUNT RATE BASE_PORT SECONDS
//     COUNT synthetic PMUs on 127.0.0.1:BASE_PORT.. (one listening socket each), each
//     answering CFG-2 and header requests and, after data on, sending one data frame
//     per 1/RATE s stamped on the UTC grid (all PMUs share each time stamp). One thread.
//   c37_fleet read COUNT BASE_PORT SECONDS
//     The null reader: connects to the same PMUs, turns data on, and reads every byte
//     without looking at it. Prints a JSON line: bytes, frames (bytes / frame size),
//     CPU seconds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "pmu/proto/c37118.h"
#include "pmu/proto/c37118_stream.h"

namespace {

namespace p = pmu::proto::c37118;

std::int64_t Now(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

double CpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
}

void RaiseFileLimit() {
  rlimit l{};
  getrlimit(RLIMIT_NOFILE, &l);
  l.rlim_cur = l.rlim_max;
  setrlimit(RLIMIT_NOFILE, &l);
}

const char* const kNames[] = {"VA", "VB", "VC", "IA", "IB", "IC"};

// One PMU's configuration: six float phasors in polar form, float frequency, one
// digital word: a 76-byte data frame.
std::unique_ptr<p::ConfigFrame> MakeConfig(std::uint16_t idcode, int rate, std::string& station) {
  auto c = std::make_unique<p::ConfigFrame>();
  c->type = p::FrameType::kConfig2;
  c->idcode = idcode;
  c->time_base = 1'000'000;
  c->pmu_count = 1;
  c->data_rate = static_cast<std::int16_t>(rate);
  p::PmuConfig& pc = c->pmus[0];
  station = "bench " + std::to_string(idcode);
  pc.station_name = station;
  pc.idcode = idcode;
  pc.format = {true, true, true, true};
  pc.phasor_count = 6;
  pc.digital_count = 1;
  for (int i = 0; i < 6; ++i) {
    pc.phasor_names[i] = kNames[i];
    pc.phasor_units[i] = {i < 3 ? p::PhasorKind::kVoltage : p::PhasorKind::kCurrent, 0};
  }
  for (std::size_t i = 0; i < 16; ++i) pc.digital_names[i] = "DI";
  pc.digital_units[0] = {0, 0xFFFF};
  return c;
}

struct Pmu {
  int listener = -1;
  int conn = -1;
  bool on = false;
  std::string station;
  std::unique_ptr<p::ConfigFrame> config;
  std::vector<std::byte> cfg_frame, data_frame;
  std::vector<std::byte> rx = std::vector<std::byte>(512);
  std::unique_ptr<p::StreamDecoder> decoder;
};

int Serve(int count, int rate, int base_port, double seconds) {
  RaiseFileLimit();
  const int ep = epoll_create1(0);
  std::vector<Pmu> pmus(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    Pmu& m = pmus[static_cast<std::size_t>(i)];
    m.config = MakeConfig(static_cast<std::uint16_t>(i + 1), rate, m.station);
    m.cfg_frame.resize(2048);
    m.cfg_frame.resize(*p::EncodeConfig(*m.config, m.cfg_frame));
    auto d = std::make_unique<p::DataFrame>();
    d->idcode = m.config->idcode;
    d->pmu_count = 1;
    for (int k = 0; k < 6; ++k) d->pmus[0].phasors[k] = {k < 3 ? 132790.0f : 500.0f, -2.0944f * (k % 3)};
    d->pmus[0].frequency = 60.0f;
    m.data_frame.resize(256);
    m.data_frame.resize(*p::EncodeData(*d, *m.config, m.data_frame));
    m.decoder = std::make_unique<p::StreamDecoder>(m.rx);
    m.listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(m.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(base_port + i));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(m.listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0 || listen(m.listener, 4) < 0) {
      std::fprintf(stderr, "c37_fleet: port %d: %s\n", base_port + i, std::strerror(errno));
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<std::uint64_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, m.listener, &ev);
  }
  std::fprintf(stderr, "c37_fleet: %d PMUs listening on 127.0.0.1:%d-%d at %d frames/s\n", count, base_port,
               base_port + count - 1, rate);
  const std::int64_t period = 1'000'000'000LL / rate;
  const std::int64_t end = Now(CLOCK_MONOTONIC) + static_cast<std::int64_t>(seconds * 1e9);
  std::int64_t next_utc = (Now(CLOCK_REALTIME) / period + 1) * period;
  std::uint64_t sent = 0, dropped = 0;
  std::vector<epoll_event> events(256);
  while (Now(CLOCK_MONOTONIC) < end) {
    const std::int64_t wait = next_utc - Now(CLOCK_REALTIME);
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()),
                             wait > 0 ? static_cast<int>((wait + 999'999) / 1'000'000) : 0);
    for (int e = 0; e < n; ++e) {
      const std::uint64_t tag = events[static_cast<std::size_t>(e)].data.u64;
      Pmu& m = pmus[tag & 0xFFFFFFFF];
      if (!(tag >> 32)) {  // listener
        const int c = accept4(m.listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (c < 0) continue;
        if (m.conn >= 0) close(m.conn);
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        m.conn = c;
        m.on = false;
        m.decoder->Reset();
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = (1ull << 32) | (tag & 0xFFFFFFFF);
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        continue;
      }
      std::byte buf[512];
      const ssize_t r = recv(m.conn, buf, sizeof(buf), 0);
      if (r <= 0) {
        close(m.conn);
        m.conn = -1;
        m.on = false;
        continue;
      }
      std::span<const std::byte> in(buf, static_cast<std::size_t>(r));
      for (;;) {
        const auto out = m.decoder->Feed(in);
        in = in.subspan(out.consumed);
        if (!out.frame) break;
        const auto cmd = p::DecodeCommand(*out.frame);
        if (!cmd.ok()) continue;
        if (cmd->command == p::CommandCode::kDataOn) m.on = true;
        if (cmd->command == p::CommandCode::kDataOff) m.on = false;
        if (cmd->command == p::CommandCode::kSendConfig2 || cmd->command == p::CommandCode::kSendConfig1) {
          (void)!send(m.conn, m.cfg_frame.data(), m.cfg_frame.size(), MSG_NOSIGNAL);
        }
      }
    }
    if (Now(CLOCK_REALTIME) < next_utc) continue;
    // One data frame per streaming PMU, all stamped with this instant.
    const auto soc = static_cast<std::uint32_t>(next_utc / 1'000'000'000);
    const auto frac = static_cast<std::uint32_t>((next_utc % 1'000'000'000) / 1000);
    for (Pmu& m : pmus) {
      if (m.conn < 0 || !m.on) continue;
      std::byte* f = m.data_frame.data();
      pmu::StoreBe32(f + 6, soc);
      pmu::StoreBe32(f + 10, frac);
      const std::size_t body = m.data_frame.size() - 2;
      pmu::StoreBe16(f + body, p::Crc16Ccitt(std::span<const std::byte>(f, body)));
      const ssize_t w = send(m.conn, f, m.data_frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w == static_cast<ssize_t>(m.data_frame.size())) {
        ++sent;
      } else {
        ++dropped;
      }
    }
    next_utc += period;
    // A generator that fell behind skips instants rather than bursting.
    const std::int64_t now = Now(CLOCK_REALTIME);
    if (now - next_utc > 5 * period) next_utc = (now / period + 1) * period;
  }
  std::printf("{\"side\": \"generator\", \"pmus\": %d, \"rate\": %d, \"frames_sent\": %llu, \"frames_dropped\": %llu, "
              "\"cpu_seconds\": %.3f}\n",
              count, rate, static_cast<unsigned long long>(sent), static_cast<unsigned long long>(dropped), CpuSeconds());
  return 0;
}

int Read(int count, int base_port, double seconds) {
  RaiseFileLimit();
  const int ep = epoll_create1(0);
  std::byte on[p::kCommandFrameSize], cfg[p::kCommandFrameSize];
  p::CommandFrame c;
  c.command = p::CommandCode::kDataOn;
  (void)p::EncodeCommand(c, on);
  c.command = p::CommandCode::kSendConfig2;
  (void)p::EncodeCommand(c, cfg);
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(base_port + i));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0) {
      std::fprintf(stderr, "c37_fleet read: port %d: %s\n", base_port + i, std::strerror(errno));
      return 1;
    }
    // As the concentrator does: ask for the configuration, then data on.
    (void)!send(fd, cfg, sizeof(cfg), 0);
    (void)!send(fd, on, sizeof(on), 0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fds.push_back(fd);
  }
  const double cpu0 = CpuSeconds();
  const std::int64_t start = Now(CLOCK_MONOTONIC);
  const std::int64_t end = start + static_cast<std::int64_t>(seconds * 1e9);
  std::uint64_t bytes = 0;
  std::vector<epoll_event> events(256);
  static std::byte buf[65536];
  while (Now(CLOCK_MONOTONIC) < end) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int e = 0; e < n; ++e) {
      const ssize_t r = recv(events[static_cast<std::size_t>(e)].data.fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (r > 0) bytes += static_cast<std::uint64_t>(r);
    }
  }
  const double cpu = CpuSeconds() - cpu0;
  constexpr double kFrame = 76;  // the generator's data frame
  std::printf("{\"side\": \"null_reader\", \"pmus\": %d, \"bytes\": %llu, \"frames\": %.0f, \"seconds\": %.3f, "
              "\"cpu_seconds\": %.3f, \"frames_per_cpu_second\": %.0f}\n",
              count, static_cast<unsigned long long>(bytes), static_cast<double>(bytes) / kFrame,
              static_cast<double>(Now(CLOCK_MONOTONIC) - start) * 1e-9, cpu,
              cpu > 0 ? static_cast<double>(bytes) / kFrame / cpu : 0.0);
  for (int fd : fds) close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve" && argc == 6) return Serve(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]), std::atof(argv[5]));
  if (mode == "read" && argc == 5) return Read(std::atoi(argv[2]), std::atoi(argv[3]), std::atof(argv[4]));
  std::fprintf(stderr, "usage: c37_fleet serve COUNT RATE BASE_PORT SECONDS | read COUNT BASE_PORT SECONDS\n");
  return 2;
}
