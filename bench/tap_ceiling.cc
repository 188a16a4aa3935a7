// tap_ceiling: the ceiling of a TAP link, for comparison with the simulated device.
//
// Writes MTU-size Ethernet frames (IPv4/UDP, 1472-byte payload, 1514 bytes a frame)
// into a TAP device as fast as one thread can, the way pmu-sim writes the device's
// frames, while a second thread receives them from a UDP socket on the host side of
// the same interface. The kernel does the work it does for the device's TCP
// segments (Ethernet and IP input, checksum, socket delivery), so the payload rate
// that reaches the socket is the most any program can push through this TAP link.
//
// Run inside a private namespace where TAP_IF exists, is up and has 192.0.2.1/24
// (bench/floodme_vs_tap.sh sets that up). Prints one JSON object.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kPayload = 1472;  // 1500 - 20 (IPv4) - 8 (UDP)
constexpr std::size_t kFrame = 14 + 20 + 8 + kPayload;
constexpr std::uint16_t kPort = 9;      // discard

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tap_ceiling: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

std::uint16_t Checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tap_ceiling TAP_IF [SECONDS]\n");
    return 2;
  }
  const std::string ifname = argv[1];
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;

  const int tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (tap < 0) Die("open /dev/net/tun");
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(tap, TUNSETIFF, &ifr) < 0) Die("TUNSETIFF " + ifname);

  // The host side's MAC address: frames are addressed to it.
  const int ctl = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq hw{};
  std::strncpy(hw.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(ctl, SIOCGIFHWADDR, &hw) < 0) Die("SIOCGIFHWADDR");

  const int rx = socket(AF_INET, SOCK_DGRAM, 0);
  int rcvbuf = 16 << 20;
  setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(kPort);
  inet_pton(AF_INET, "192.0.2.1", &local.sin_addr);
  if (bind(rx, reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) Die("bind 192.0.2.1");

  std::uint8_t frame[kFrame] = {};
  std::memcpy(frame, hw.ifr_hwaddr.sa_data, 6);
  const std::uint8_t src_mac[6] = {0x02, 0x50, 0x4D, 0x55, 0xBE, 0x01};
  std::memcpy(frame + 6, src_mac, 6);
  frame[12] = 0x08;  // IPv4
  std::uint8_t* ip = frame + 14;
  ip[0] = 0x45;
  const std::uint16_t total = 20 + 8 + kPayload;
  ip[2] = total >> 8;
  ip[3] = total & 0xFF;
  ip[6] = 0x40;  // don't fragment
  ip[8] = 64;
  ip[9] = 17;  // UDP
  const std::uint8_t src[4] = {192, 0, 2, 2}, dst[4] = {192, 0, 2, 1};
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  std::uint8_t* udp = ip + 20;
  udp[0] = 0xC0;
  udp[1] = 0x00;
  udp[2] = kPort >> 8;
  udp[3] = kPort & 0xFF;
  udp[4] = (8 + kPayload) >> 8;
  udp[5] = (8 + kPayload) & 0xFF;  // checksum 0: none (IPv4)
  for (std::size_t i = 0; i < kPayload; ++i) udp[8 + i] = static_cast<std::uint8_t>('a' + i % 26);

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> received_bytes{0}, received_datagrams{0};
  std::thread reader([&] {
    constexpr int kBatch = 64;
    static std::uint8_t bufs[kBatch][2048];
    mmsghdr msgs[kBatch];
    iovec iov[kBatch];
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i], sizeof(bufs[i])};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (!stop.load(std::memory_order_relaxed)) {
      pollfd p{rx, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const int n = recvmmsg(rx, msgs, kBatch, MSG_DONTWAIT, nullptr);
      for (int i = 0; i < n; ++i) received_bytes += msgs[i].msg_len;
      if (n > 0) received_datagrams += static_cast<std::uint64_t>(n);
    }
  });

  std::uint64_t written = 0, ident = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 256; ++i) {
      ++ident;
      ip[4] = static_cast<std::uint8_t>(ident >> 8);
      ip[5] = static_cast<std::uint8_t>(ident);
      ip[10] = ip[11] = 0;
      const std::uint16_t c = Checksum(ip, 20);
      ip[10] = c >> 8;
      ip[11] = c & 0xFF;
      if (write(tap, frame, kFrame) == static_cast<ssize_t>(kFrame)) ++written;
    }
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Let the reader drain what is already queued.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  reader.join();

  const double rx_bytes = static_cast<double>(received_bytes.load());
  std::printf(
      "{\"frames_written\": %llu, \"datagrams_received\": %llu, \"elapsed_s\": %.3f, "
      "\"frames_per_s\": %.0f, \"payload_bytes_per_s\": %.0f, \"payload_mbit_per_s\": %.1f}\n",
      static_cast<unsigned long long>(written), static_cast<unsigned long long>(received_datagrams.load()),
      elapsed, static_cast<double>(written) / elapsed, rx_bytes / elapsed, rx_bytes * 8 / elapsed / 1e6);
  return 0;
}
