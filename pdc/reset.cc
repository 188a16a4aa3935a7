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

// What one run found: its request, retransmitted in rounds until the first answer.
struct RunResult {
  std::uint32_t offset = 0;
  std::string family;  // of the first answer
  std::string time;    // when the first answer came, ISO 8601
  std::uint64_t datagrams = 0;
  unsigned rounds = 0;
  double elapsed_s = 0;
};

// pdc reset in the order it happens: the constructor opens a socket to each of the
// device's addresses and reads the Fernet key; Run makes each run's request and
// retransmits it until it is answered (RequestOnce), prints the run (PrintRun) and
// ends with the statistics over all runs (PrintSummary). The members are the
// sockets and the counts the statistics need.
class ResetClient {
 public:
  explicit ResetClient(const ResetOptions& o);
  int Run();

 private:
  void OpenAddresses();
  void LoadFernetKey();
  RunResult RequestOnce(const std::string& id);
  void SendRound(std::string_view request, RunResult& result);
  std::string FernetToken(std::string_view request) const;
  bool AwaitAnswers(RunResult& result);
  std::optional<std::uint32_t> ReceiveAnswer(const DeviceAddress& from) const;
  void PrintRun(unsigned run, const std::string& id, const RunResult& r) const;
  void PrintSummary() const;

  const ResetOptions& o_;
  milliseconds wait_;
  std::vector<DeviceAddress> addresses_;
  std::optional<proto::FernetKey> fernet_;
  std::map<std::string, FamilyCount> per_family_;  // "ipv4"/"ipv6"
  std::uint64_t total_datagrams_ = 0, total_rounds_ = 0, offsets_sum_ = 0;
};

ResetClient::ResetClient(const ResetOptions& o) : o_(o), wait_(ParseDuration(o.wait)) {
  if (wait_.count() <= 0) throw std::invalid_argument("--wait must be positive");
  OpenAddresses();
  LoadFernetKey();
}

int ResetClient::Run() {
  for (unsigned run = 1; run <= o_.runs; ++run) {
    const std::string id = o_.no_id ? "" : RandomHex(12);
    const RunResult result = RequestOnce(id);
    total_datagrams_ += result.datagrams;
    total_rounds_ += result.rounds;
    offsets_sum_ += result.offset;
    PrintRun(run, id, result);
  }
  PrintSummary();
  return kExitOk;
}

// Every address of the device, IPv4 and IPv6 alike, each with its own socket.
void ResetClient::OpenAddresses() {
  for (const Endpoint& e : Resolve(o_.host, o_.port, o_.only.family(), SOCK_DGRAM)) {
    Socket s(socket(e.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) throw NetError(std::string("socket: ") + std::strerror(errno));
    if (connect(s.fd(), reinterpret_cast<const sockaddr*>(&e.addr), e.len) < 0) {
      // An address this host cannot reach (no route for that family) is skipped.
      if (!o_.quiet) std::cerr << "pdc reset: skipping " << e.ToString() << ": " << std::strerror(errno) << "\n";
      continue;
    }
    addresses_.push_back({e, std::move(s)});
  }
  if (addresses_.empty()) throw NetError("no reachable address for '" + o_.host + "'");
}

void ResetClient::LoadFernetKey() {
  if (o_.fernet_key_file.empty()) return;
  std::ifstream in(o_.fernet_key_file);
  std::string key_text;
  if (!in || !std::getline(in, key_text)) throw std::invalid_argument("cannot read " + o_.fernet_key_file);
  while (!key_text.empty() && (key_text.back() == '\r' || key_text.back() == ' ')) key_text.pop_back();
  const auto key = proto::ParseFernetKey(key_text);
  if (!key.ok()) throw std::invalid_argument(o_.fernet_key_file + ": " + key.status().message());
  fernet_ = *key;
}

// Sends the request in rounds, to every address each round, until a round is answered
// or --max-tries rounds went unanswered.
RunResult ResetClient::RequestOnce(const std::string& id) {
  char request[160];
  const std::size_t len = proto::FormatResetRequest({o_.seconds, id}, request);
  if (len == 0) throw std::invalid_argument("seconds must be 0 to 86400");
  const auto start = Clock::now();
  RunResult result;
  bool answered = false;
  while (!answered) {
    if (result.rounds == o_.max_tries) {
      throw NetError("no answer after " + std::to_string(result.rounds) + " rounds (" +
                     std::to_string(result.datagrams) + " datagrams)");
    }
    ++result.rounds;
    SendRound(std::string_view(request, len), result);
    answered = AwaitAnswers(result);
  }
  result.elapsed_s = ToSeconds(Clock::now() - start);
  return result;
}

void ResetClient::SendRound(std::string_view request, RunResult& result) {
  for (DeviceAddress& a : addresses_) {
    const std::string datagram = fernet_ ? FernetToken(request) : std::string(request);
    if (send(a.socket.fd(), datagram.data(), datagram.size(), 0) >= 0) {
      ++result.datagrams;
      ++per_family_[a.endpoint.FamilyName()].sent;
    }
  }
}

// With a Fernet key, every datagram, retransmissions included, is a fresh token (new
// IV, current time) around the same request: the device refuses a replayed token, and
// the request identifier inside keeps the retransmissions idempotent.
std::string ResetClient::FernetToken(std::string_view request) const {
  std::uint8_t iv[16];
  const std::string iv_hex = RandomHex(16);
  for (int i = 0; i < 16; ++i) iv[i] = static_cast<std::uint8_t>(std::stoul(iv_hex.substr(2 * i, 2), nullptr, 16));
  std::string token(proto::kMaxFernetTokenText, '\0');
  const auto n = proto::FernetEncrypt(*fernet_, AsBytes(request), static_cast<std::uint64_t>(std::time(nullptr)), iv,
                                      token);
  if (!n.ok()) throw std::invalid_argument(std::string("Fernet: ") + n.status().message());
  token.resize(*n);
  return token;
}

// Waits for the first answer to this round, then a moment more for the other family's
// answer to it (both may survive the loss), for the statistics. True when one came.
bool ResetClient::AwaitAnswers(RunResult& result) {
  auto deadline = Clock::now() + wait_;
  std::vector<bool> got(addresses_.size(), false);
  bool answered = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || std::all_of(got.begin(), got.end(), [](bool g) { return g; })) break;
    std::vector<pollfd> fds;
    for (const DeviceAddress& a : addresses_) fds.push_back({a.socket.fd(), POLLIN, 0});
    if (poll(fds.data(), fds.size(), static_cast<int>(left)) <= 0) continue;
    for (std::size_t i = 0; i < addresses_.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      const std::optional<std::uint32_t> offset = ReceiveAnswer(addresses_[i]);
      if (!offset || got[i]) continue;
      got[i] = true;
      ++per_family_[addresses_[i].endpoint.FamilyName()].answered;
      if (!answered) {
        answered = true;
        result.offset = *offset;
        result.family = addresses_[i].endpoint.FamilyName();
        result.time = NowIso8601();
        deadline = std::min(deadline, Clock::now() + milliseconds(50));
      } else if (*offset != result.offset && !o_.no_id) {
        throw ProtocolError("two different answers to one request identifier");
      }
    }
  }
  return answered;
}

// The OFFSET=X in the datagram waiting on `from`'s socket; nothing when the receive
// failed (a refusal), the sender is not the device, or the datagram is not an answer.
std::optional<std::uint32_t> ResetClient::ReceiveAnswer(const DeviceAddress& from) const {
  char buf[256];
  sockaddr_storage sender{};
  socklen_t sender_len = sizeof(sender);
  const ssize_t n = recvfrom(from.socket.fd(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&sender), &sender_len);
  if (n < 0 || !SameAddress(sender, from.endpoint)) return std::nullopt;
  const auto offset = proto::ParseResetAnswer(AsBytes(buf, static_cast<std::size_t>(n)));
  if (!offset.ok()) {
    std::cerr << "pdc reset: ignoring a datagram that is not OFFSET=X from " << from.endpoint.ToString() << "\n";
    return std::nullopt;
  }
  return *offset;
}

void ResetClient::PrintRun(unsigned run, const std::string& id, const RunResult& r) const {
  if (o_.json) {
    Report line;
    line.Add("run", std::uint64_t{run}).Add("offset", std::uint64_t{r.offset}).Add("family", r.family)
        .Add("datagrams", r.datagrams).Add("rounds", std::uint64_t{r.rounds}).Add("elapsed_s", r.elapsed_s)
        .Add("time", r.time).Add("id", id);
    line.Print(true, "");
  } else if (!o_.quiet) {
    std::cout << "OFFSET=" << r.offset << " over " << r.family << " at " << r.time << ", after "
              << CountWithNoun(r.datagrams, "datagram", "datagrams") << " in "
              << CountWithNoun(r.rounds, "round", "rounds") << " (" << FormatFixed(r.elapsed_s, 3) << " s)\n"
              << std::flush;
  }
}

// Statistics over the families that answered at least once: their datagrams are the
// trials of the loss estimate (datagrams to a family that never answers are not).
void ResetClient::PrintSummary() const {
  std::uint64_t sent_active = 0, answered_active = 0;
  std::string active;
  for (const auto& [name, c] : per_family_) {
    if (c.answered == 0) continue;
    sent_active += c.sent;
    answered_active += c.answered;
    active += (active.empty() ? "" : "+") + name;
  }
  const LossEstimate est = EstimateLoss(sent_active, answered_active);
  Report r;
  r.Add("runs", std::uint64_t{o_.runs}).Add("datagrams", total_datagrams_).Add("rounds", total_rounds_)
      .Add("offsets_sum", offsets_sum_).Add("answering_families", active)
      .Add("datagrams_to_answering", sent_active).Add("answers_from_answering", answered_active)
      .Add("datagrams_per_answer", est.datagrams_per_answer).Add("loss", est.loss)
      .Add("loss_low", est.loss_low).Add("loss_high", est.loss_high);
  std::ostringstream human;
  if (o_.runs == 1) {
    human << "1 answer after " << CountWithNoun(total_datagrams_, "datagram", "datagrams");
  } else {
    human << o_.runs << " answers, " << total_datagrams_ << " datagrams in " << total_rounds_ << " rounds ("
          << FormatFixed(static_cast<double>(total_datagrams_) / o_.runs, 2) << " per answer); over " << active
          << ": " << FormatFixed(est.datagrams_per_answer, 2) << " datagrams per answer, loss probability "
          << FormatFixed(est.loss, 3) << " (95% interval " << FormatFixed(est.loss_low, 3) << " to "
          << FormatFixed(est.loss_high, 3) << "); the clock moved " << offsets_sum_ << " s in all";
  }
  r.Print(o_.json, human.str());
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
  sub->callback([o, &run] { run = [o] { return ResetClient(*o).Run(); }; });
}

}  // namespace pmu::pdc
