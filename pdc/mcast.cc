#include "mcast.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <vector>

#include "exit_status.h"
#include "net.h"
#include "pmu/proto/bulletin.h"
#include "report.h"
#include "target.h"
#include "udp.h"

namespace pmu::pdc {
namespace {

struct GroupOptions {
  FamilyChoice only;
  std::string group4 = "224.1.1.1";
  std::string group6 = "ff15::1:5005";
  std::string interface;
  unsigned port = 5005;
};

void AddGroupOptions(CLI::App* sub, GroupOptions& g) {
  AddFamilyOptions(sub, g.only, "IPv4 group only", "IPv6 group only");
  sub->add_option("--group4", g.group4, "IPv4 group (default 224.1.1.1)");
  sub->add_option("--group6", g.group6, "IPv6 group (default ff15::1:5005)");
  sub->add_option("-i,--interface", g.interface,
                  "network interface (default: the only multicast-capable one that is up)");
  AddPortOption(sub, g.port, 5005);
}

struct Channel {
  int family;
  Socket socket;
  sockaddr_storage group{};
  socklen_t group_len = 0;
};

// One socket per family, bound to the port, joined to the group on the interface.
std::vector<Channel> OpenChannels(const GroupOptions& g, bool join) {
  const std::string ifname = g.interface.empty() ? DefaultMulticastInterface() : g.interface;
  const unsigned ifindex = InterfaceIndex(ifname);
  std::vector<Channel> out;
  if (!g.only.ipv6) {
    Channel c{AF_INET, Socket(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0))};
    auto& group = reinterpret_cast<sockaddr_in&>(c.group);
    group.sin_family = AF_INET;
    group.sin_port = htons(static_cast<std::uint16_t>(g.port));
    if (inet_pton(AF_INET, g.group4.c_str(), &group.sin_addr) != 1 || !IN_MULTICAST(ntohl(group.sin_addr.s_addr))) {
      throw std::invalid_argument("'" + g.group4 + "' is not an IPv4 multicast group");
    }
    c.group_len = sizeof(group);
    ip_mreqn mreq{};
    mreq.imr_multiaddr = group.sin_addr;
    mreq.imr_ifindex = static_cast<int>(ifindex);
    const int one = 1;
    setsockopt(c.socket.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (join) {
      // Bound to the group, so only the group's datagrams arrive.
      sockaddr_in bind_to = group;
      if (bind(c.socket.fd(), reinterpret_cast<sockaddr*>(&bind_to), sizeof(bind_to)) < 0) {
        throw NetError("bind " + g.group4 + ": " + std::strerror(errno));
      }
      if (setsockopt(c.socket.fd(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) {
        throw NetError("join " + g.group4 + " on " + ifname + ": " + std::strerror(errno));
      }
    }
    if (setsockopt(c.socket.fd(), IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) < 0) {
      throw NetError("IPv4 multicast on " + ifname + ": " + std::strerror(errno));
    }
    out.push_back(std::move(c));
  }
  if (!g.only.ipv4) {
    Channel c{AF_INET6, Socket(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0))};
    auto& group = reinterpret_cast<sockaddr_in6&>(c.group);
    group.sin6_family = AF_INET6;
    group.sin6_port = htons(static_cast<std::uint16_t>(g.port));
    if (inet_pton(AF_INET6, g.group6.c_str(), &group.sin6_addr) != 1 || !IN6_IS_ADDR_MULTICAST(&group.sin6_addr)) {
      throw std::invalid_argument("'" + g.group6 + "' is not an IPv6 multicast group");
    }
    group.sin6_scope_id = ifindex;
    c.group_len = sizeof(group);
    const int one = 1;
    setsockopt(c.socket.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(c.socket.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (join) {
      sockaddr_in6 bind_to = group;
      if (bind(c.socket.fd(), reinterpret_cast<sockaddr*>(&bind_to), sizeof(bind_to)) < 0) {
        throw NetError("bind [" + g.group6 + "]: " + std::strerror(errno));
      }
      ipv6_mreq mreq{};
      mreq.ipv6mr_multiaddr = group.sin6_addr;
      mreq.ipv6mr_interface = ifindex;
      if (setsockopt(c.socket.fd(), IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof(mreq)) < 0) {
        throw NetError("join " + g.group6 + " on " + ifname + ": " + std::strerror(errno));
      }
    }
    if (setsockopt(c.socket.fd(), IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0) {
      throw NetError("IPv6 multicast on " + ifname + ": " + std::strerror(errno));
    }
    out.push_back(std::move(c));
  }
  return out;
}

// ---- listen ---------------------------------------------------------------------------

struct ListenOptions {
  GroupOptions group;
  unsigned count = 0;
  std::string duration;
  bool json = false;
};

int RunListen(const ListenOptions& o) {
  std::vector<Channel> channels = OpenChannels(o.group, true);
  const auto start = Clock::now();
  const bool bounded = !o.duration.empty();
  const auto end = start + (bounded ? ParseDuration(o.duration) : std::chrono::milliseconds(0));
  unsigned shown = 0, dropped = 0;
  while (o.count == 0 || shown < o.count) {
    int timeout = -1;
    if (bounded) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) break;
      timeout = static_cast<int>(left);
    }
    std::vector<pollfd> fds;
    for (Channel& c : channels) fds.push_back({c.socket.fd(), POLLIN, 0});
    if (poll(fds.data(), fds.size(), timeout) <= 0) continue;
    for (std::size_t i = 0; i < channels.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      std::byte buf[65536];
      Endpoint from;
      from.len = sizeof(from.addr);
      const ssize_t n = recvfrom(channels[i].socket.fd(), buf, sizeof(buf), 0,
                                 reinterpret_cast<sockaddr*>(&from.addr), &from.len);
      if (n < 0) continue;
      const auto d = proto::ParseBulletin(ByteSpan(buf, static_cast<std::size_t>(n)));
      if (!d.ok()) {
        ++dropped;
        std::cerr << "pdc mcast listen: dropped a " << n << "-byte datagram from " << from.ToString() << ": "
                  << d.status().message() << "\n";
        continue;
      }
      ++shown;
      if (o.json) {
        Report r;
        r.Add("id", std::string(d->id)).Add("text", std::string(d->text)).Add("characters", std::uint64_t{d->characters})
            .Add("from", from.ToString()).Add("family", from.FamilyName()).Add("time", NowIso8601());
        r.Print(true, "");
      } else {
        std::cout << "[" << d->id << "] " << d->text << "\n" << std::flush;
      }
      if (o.count != 0 && shown >= o.count) break;
    }
  }
  if (!o.json) std::cerr << shown << " datagrams shown, " << dropped << " dropped\n";
  return kExitOk;
}

// ---- send ------------------------------------------------------------------------------

struct SendOptions {
  GroupOptions group;
  std::string id;
  std::vector<std::string> words;
  unsigned ttl = 1;
  bool json = false;
};

int RunSend(const SendOptions& o) {
  if (!proto::IsValidBulletinId(o.id)) {
    throw std::invalid_argument("--id must be 1 to 6 printable ASCII characters without spaces");
  }
  std::vector<Channel> channels = OpenChannels(o.group, false);
  for (Channel& c : channels) {
    const int ttl = static_cast<int>(o.ttl);
    if (c.family == AF_INET) {
      setsockopt(c.socket.fd(), IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
    } else {
      setsockopt(c.socket.fd(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl));
    }
  }
  std::uint64_t datagrams = 0;
  auto send_text = [&](const std::string& text) {
    std::vector<char> buf(proto::kBulletinIdLength + text.size());
    const std::size_t n = proto::FormatBulletin(o.id, text, buf);
    for (Channel& c : channels) {
      if (sendto(c.socket.fd(), buf.data(), n, 0, reinterpret_cast<sockaddr*>(&c.group), c.group_len) < 0) {
        throw NetError(std::string("send: ") + std::strerror(errno));
      }
      ++datagrams;
    }
  };
  if (!o.words.empty()) {
    std::string text;
    for (std::size_t i = 0; i < o.words.size(); ++i) text += (i ? " " : "") + o.words[i];
    send_text(text);
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      send_text(line);
    }
  }
  Report r;
  r.Add("datagrams", datagrams).Add("id", o.id);
  r.Print(o.json, "sent " + std::to_string(datagrams) + " datagrams under [" + o.id + "]");
  return kExitOk;
}

}  // namespace

void AddMcastCommands(CLI::App& app, std::function<int()>& run) {
  auto* mcast = app.add_subcommand("mcast", "the multicast bulletin channel (UDP 5005)");
  mcast->require_subcommand(1);
  {
    auto o = std::make_shared<ListenOptions>();
    auto* sub = mcast->add_subcommand("listen", "join the group and print each datagram as [ID] text");
    AddGroupOptions(sub, o->group);
    sub->add_option("-c,--count", o->count, "stop after N datagrams");
    sub->add_option("-d,--duration", o->duration, "stop after this long (seconds, or e.g. 500ms)");
    sub->add_flag("--json", o->json, "one JSON object per datagram (id, text, characters, sender, family, time)");
    sub->footer("Joins both groups unless -4/-6. Datagrams that are not a 6-byte identifier plus UTF-8\n"
                "text are reported on standard error and skipped.");
    sub->callback([o, &run] { run = [o] { return RunListen(*o); }; });
  }
  {
    auto o = std::make_shared<SendOptions>();
    auto* sub = mcast->add_subcommand("send", "send lines of standard input (or TEXT) to the group under --id");
    AddGroupOptions(sub, o->group);
    sub->add_option("--id", o->id, "your identifier: 1 to 6 characters, left-padded to 6")->required();
    sub->add_option("text", o->words, "text of one datagram; without it, one datagram per input line");
    sub->add_option("--ttl", o->ttl, "multicast TTL / hop limit (default 1: this link only)")
        ->check(CLI::Range(1u, 255u));
    sub->add_flag("--json", o->json, "summary as JSON on standard output");
    sub->callback([o, &run] { run = [o] { return RunSend(*o); }; });
  }
}

}  // namespace pmu::pdc
