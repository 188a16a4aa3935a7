#include "reset.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <optional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "exit_status.h"
#include "net.h"
#include "pmu/proto/fernet.h"
#include "pmu/proto/reset.h"
#include "report.h"
#include "stats.h"
#include "target.h"
#include "udp.h"

namespace pmu::pdc {
namespace {

using std::chrono::milliseconds;

struct ResetOptions {
  std::string host;
  std::uint32_t seconds = 0;
  unsigned port = 5004;
  FamilyChoice only;
  unsigned runs = 1;
  std::string wait = "1";
  unsigned max_tries = 100;
  bool no_id = false;
  std::string fernet_key_file;
  bool json = false;
  bool quiet = false;
};

// One address of the device, with the socket connected to it.
struct DeviceAddress {
  Endpoint endpoint;
  Socket socket;
};

struct FamilyCount {
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
};

// "1 datagram", "3 datagrams".
std::string CountWithNoun(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

bool SameAddress(const sockaddr_storage& a, const Endpoint& e) {
  if (a.ss_family != e.family()) return false;
  if (a.ss_family == AF_INET) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in&>(a).sin_addr,
                       &reinterpret_cast<const sockaddr_in&>(e.addr).sin_addr, 4) == 0;
  }
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(e.addr).sin6_addr, 16) == 0;
}

int RunReset(const ResetOptions& o) {
  const Family family = o.only.family();
  const milliseconds wait = ParseDuration(o.wait);
  if (wait.count() <= 0) throw std::invalid_argument("--wait must be positive");
  // Every address of the device, IPv4 and IPv6 alike, each with its own socket.
  std::vector<DeviceAddress> targets;
  for (const Endpoint& e : Resolve(o.host, o.port, family, SOCK_DGRAM)) {
    Socket s(socket(e.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) throw NetError(std::string("socket: ") + std::strerror(errno));
    if (connect(s.fd(), reinterpret_cast<const sockaddr*>(&e.addr), e.len) < 0) {
      // An address this host cannot reach (no route for that family) is skipped.
      if (!o.quiet) std::cerr << "pdc reset: skipping " << e.ToString() << ": " << std::strerror(errno) << "\n";
      continue;
    }
    targets.push_back({e, std::move(s)});
  }
  if (targets.empty()) throw NetError("no reachable address for '" + o.host + "'");

  // With a Fernet key, every datagram, retransmissions included, is a fresh token
  // (new IV, current time) around the same request: the device refuses a replayed
  // token, and the request identifier inside keeps the retransmissions idempotent.
  std::optional<proto::FernetKey> fernet;
  if (!o.fernet_key_file.empty()) {
    std::ifstream in(o.fernet_key_file);
    std::string key_text;
    if (!in || !std::getline(in, key_text)) throw std::invalid_argument("cannot read " + o.fernet_key_file);
    while (!key_text.empty() && (key_text.back() == '\r' || key_text.back() == ' ')) key_text.pop_back();
    const auto key = proto::ParseFernetKey(key_text);
    if (!key.ok()) throw std::invalid_argument(o.fernet_key_file + ": " + key.status().message());
    fernet = *key;
  }

  std::map<std::string, FamilyCount> per_family;  // "ipv4"/"ipv6"
  std::uint64_t total_datagrams = 0, total_rounds = 0, offsets_sum = 0;
  std::vector<std::uint32_t> offsets;
  for (unsigned run = 1; run <= o.runs; ++run) {
    const std::string token = o.no_id ? "" : RandomHex(12);
    char request[160];
    const std::size_t len = proto::FormatResetRequest({o.seconds, token}, request);
    if (len == 0) throw std::invalid_argument("seconds must be 0 to 86400");
    const auto start = Clock::now();
    std::uint64_t datagrams = 0;
    unsigned rounds = 0;
    bool answered = false;
    std::uint32_t offset = 0;
    std::string family_name, answer_time;
    while (!answered) {
      if (rounds == o.max_tries) {
        throw NetError("no answer after " + std::to_string(rounds) + " rounds (" + std::to_string(datagrams) +
                       " datagrams)");
      }
      ++rounds;
      for (DeviceAddress& t : targets) {
        std::string fernet_token;
        const char* datagram = request;
        std::size_t datagram_len = len;
        if (fernet) {
          std::uint8_t iv[16];
          const std::string iv_hex = RandomHex(16);
          for (int i = 0; i < 16; ++i) iv[i] = static_cast<std::uint8_t>(std::stoul(iv_hex.substr(2 * i, 2), nullptr, 16));
          fernet_token.resize(proto::kMaxFernetTokenText);
          const auto n = proto::FernetEncrypt(*fernet, AsBytes(request, len),
                                              static_cast<std::uint64_t>(std::time(nullptr)), iv, fernet_token);
          if (!n.ok()) throw std::invalid_argument(std::string("Fernet: ") + n.status().message());
          fernet_token.resize(*n);
          datagram = fernet_token.data();
          datagram_len = fernet_token.size();
        }
        if (send(t.socket.fd(), datagram, datagram_len, 0) >= 0) {
          ++datagrams;
          ++per_family[t.endpoint.FamilyName()].sent;
        }
      }
      // Wait for the first answer, then a moment more for the other family's answer
      // to this round (both may survive the loss), for the statistics.
      auto deadline = Clock::now() + wait;
      std::vector<bool> got(targets.size(), false);
      for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        if (left <= 0 || std::all_of(got.begin(), got.end(), [](bool g) { return g; })) break;
        std::vector<pollfd> fds;
        for (DeviceAddress& t : targets) fds.push_back({t.socket.fd(), POLLIN, 0});
        if (poll(fds.data(), fds.size(), static_cast<int>(left)) <= 0) continue;
        for (std::size_t i = 0; i < targets.size(); ++i) {
          if (!(fds[i].revents & POLLIN)) continue;
          char buf[256];
          sockaddr_storage from{};
          socklen_t from_len = sizeof(from);
          const ssize_t n = recvfrom(targets[i].socket.fd(), buf, sizeof(buf), 0,
                                     reinterpret_cast<sockaddr*>(&from), &from_len);
          if (n < 0 || !SameAddress(from, targets[i].endpoint)) continue;  // refused, or not the device
          const auto x = proto::ParseResetAnswer(AsBytes(buf, static_cast<std::size_t>(n)));
          if (!x.ok()) {
            std::cerr << "pdc reset: ignoring a datagram that is not OFFSET=X from " << targets[i].endpoint.ToString()
                      << "\n";
            continue;
          }
          if (got[i]) continue;
          got[i] = true;
          ++per_family[targets[i].endpoint.FamilyName()].answered;
          if (!answered) {
            answered = true;
            offset = *x;
            family_name = targets[i].endpoint.FamilyName();
            answer_time = NowIso8601();
            deadline = std::min(deadline, Clock::now() + milliseconds(50));
          } else if (*x != offset && !o.no_id) {
            throw ProtocolError("two different answers to one request identifier");
          }
        }
      }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    total_datagrams += datagrams;
    total_rounds += rounds;
    offsets_sum += offset;
    offsets.push_back(offset);
    if (o.json) {
      Report r;
      r.Add("run", std::uint64_t{run}).Add("offset", std::uint64_t{offset}).Add("family", family_name)
          .Add("datagrams", datagrams).Add("rounds", std::uint64_t{rounds}).Add("elapsed_s", elapsed)
          .Add("time", answer_time).Add("id", token);
      r.Print(true, "");
    } else if (!o.quiet) {
      std::cout << "OFFSET=" << offset << " over " << family_name << " at " << answer_time << ", after "
                << CountWithNoun(datagrams, "datagram", "datagrams") << " in " << CountWithNoun(rounds, "round", "rounds") << " ("
                << FormatFixed(elapsed, 3) << " s)\n"
                << std::flush;
    }
  }

  // Statistics over the families that answered at least once: their datagrams are the
  // trials of the loss estimate (datagrams to a family that never answers are not).
  std::uint64_t sent_active = 0, answered_active = 0;
  std::string active;
  for (const auto& [name, c] : per_family) {
    if (c.answered == 0) continue;
    sent_active += c.sent;
    answered_active += c.answered;
    active += (active.empty() ? "" : "+") + name;
  }
  const LossEstimate est = EstimateLoss(sent_active, answered_active);
  Report r;
  r.Add("runs", std::uint64_t{o.runs}).Add("datagrams", total_datagrams).Add("rounds", total_rounds)
      .Add("offsets_sum", offsets_sum).Add("answering_families", active)
      .Add("datagrams_to_answering", sent_active).Add("answers_from_answering", answered_active)
      .Add("datagrams_per_answer", est.datagrams_per_answer).Add("loss", est.loss)
      .Add("loss_low", est.loss_low).Add("loss_high", est.loss_high);
  std::ostringstream human;
  if (o.runs == 1) {
    human << "1 answer after " << CountWithNoun(total_datagrams, "datagram", "datagrams");
  } else {
    human << o.runs << " answers, " << total_datagrams << " datagrams in " << total_rounds << " rounds ("
          << FormatFixed(static_cast<double>(total_datagrams) / o.runs, 2) << " per answer); over " << active << ": "
          << FormatFixed(est.datagrams_per_answer, 2) << " datagrams per answer, loss probability " << FormatFixed(est.loss, 3)
          << " (95% interval " << FormatFixed(est.loss_low, 3) << " to " << FormatFixed(est.loss_high, 3)
          << "); the clock moved " << offsets_sum << " s in all";
  }
  r.Print(o.json, human.str());
  return kExitOk;
}

}  // namespace

void AddResetCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<ResetOptions>();
  auto* sub = app.add_subcommand("reset", "advance the device's clock (RESET:n on UDP 5004), retransmitting until answered");
  sub->add_option("host", o->host, "the device: name or address (every address it has is used)")->required();
  sub->add_option("seconds", o->seconds, "n: the device advances its clock by a random 0..n seconds")
      ->required()
      ->check(CLI::Range(0u, 86400u));
  AddPortOption(sub, o->port, 5004);
  AddFamilyOptions(sub, o->only, "use the device's IPv4 addresses only", "use the device's IPv6 addresses only");
  sub->add_option("-n,--runs", o->runs, "repeat N times and estimate the loss probability (default 1)")
      ->check(CLI::Range(1u, 100000u));
  sub->add_option("-w,--wait", o->wait, "wait this long for an answer before retransmitting (default 1 s)");
  sub->add_option("--max-tries", o->max_tries, "give up after this many rounds (default 100)")
      ->check(CLI::Range(1u, 1000000u));
  sub->add_flag("--no-id", o->no_id, "send bare RESET:n without a request identifier (a retransmission may then "
                                     "move the clock twice)");
  sub->add_option("--fernet-key", o->fernet_key_file,
                  "send each request as a Fernet token under the key in FILE (URL-safe base64, as "
                  "Fernet.generate_key() prints it), for a device with reset.fernet_key set")
      ->check(CLI::ExistingFile);
  sub->add_flag("--json", o->json, "one JSON object per answer, then a JSON summary, on standard output");
  sub->add_flag("-q,--quiet", o->quiet, "only the summary");
  sub->footer(
      "Each round sends RESET:n;id=TOKEN (a fresh random TOKEN per run, the same one for its\n"
      "retransmissions) to every address of the device, then waits. Prints when the answer\n"
      "came, over which family, and how many datagrams it took. With --runs, the loss\n"
      "probability is estimated from the datagrams sent to the families that answered (a\n"
      "family the device does not answer on is not counted); in the device's alternate mode\n"
      "use -4 or -6 for a meaningful estimate.");
  sub->callback([o, &run] { run = [o] { return RunReset(*o); }; });
}

}  // namespace pmu::pdc
