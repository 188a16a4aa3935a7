#include "udp.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "net.h"
#include "pmu/base/civil_time.h"

namespace pmu::pdc {

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = getrandom(raw.data() + done, bytes - done, 0);
    if (n < 0 && errno != EINTR) throw NetError("getrandom failed");
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

unsigned InterfaceIndex(const std::string& name) {
  const unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) throw NetError("no network interface named '" + name + "'");
  return idx;
}

std::string DefaultMulticastInterface() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) throw NetError("getifaddrs failed");
  std::set<std::string> names;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if ((a->ifa_flags & IFF_UP) && (a->ifa_flags & IFF_MULTICAST) && !(a->ifa_flags & IFF_LOOPBACK)) {
      names.insert(a->ifa_name);
    }
  }
  freeifaddrs(list);
  if (names.size() == 1) return *names.begin();
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  throw NetError(names.empty() ? "no multicast-capable interface is up"
                               : "several interfaces (" + all + "): choose one with -i");
}

std::string InterfaceIpv4(const std::string& name) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) throw NetError("getifaddrs failed");
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && name == a->ifa_name) {
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof(buf));
      found = buf;
    }
  }
  freeifaddrs(list);
  if (found.empty()) throw NetError("interface '" + name + "' has no IPv4 address");
  return found;
}

std::string NowIso8601() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::string(FormatIso8601(static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec, 3).view());
}

}  // namespace pmu::pdc
