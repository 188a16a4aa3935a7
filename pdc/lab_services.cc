#include "lab_services.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "exit_status.h"
#include "net.h"
#include "pmu/crypto/sha256.h"
#include "pmu/proto/command.h"
#include "pmu/proto/floodme.h"
#include "pmu/proto/pmu_message.h"
#include "report.h"
#include "target.h"

namespace pmu::pdc {
namespace {

// Connects, sends `command` (plus a line feed unless `bare`), and returns the socket.
Socket ConnectAndSend(const Target& t, const std::string& command, bool bare, Endpoint* peer) {
  Socket s = ConnectTcp(t, peer);
  const std::string wire = bare ? command : command + "\n";
  SendAll(s, wire.data(), wire.size(), t.timeout_ms());
  return s;
}

}  // namespace

AnswerContext MakeContext(const std::string& name, const std::string& command, const Endpoint& peer, bool json,
                          Clock::time_point start) {
  AnswerContext ctx;
  ctx.name = name;
  ctx.peer = peer.ToString();
  ctx.json = json;
  ctx.start = start;
  ctx.report.Add("command", command).Add("peer", ctx.peer).Add("family", peer.FamilyName());
  return ctx;
}

namespace {

// If `data` is an "ERROR ..." answer, the reason as one line; else empty.
std::string ErrorAnswer(const std::string& data) {
  if (data.rfind("ERROR", 0) != 0) return "";
  std::string line = data.substr(0, data.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// ---- short --------------------------------------------------------------------------

struct ShortOptions {
  Target target;
  bool json = false;
  std::string delay;
  bool bare = false;
  bool timestamps = false;
  bool quiet = false;
};

}  // namespace

int ReadShortAnswer(ByteStream& stream, const AnswerContext& ctx, bool timestamps, bool quiet) {
  proto::PmuMessageSplitter splitter;
  std::uint64_t bytes = 0, recv_calls = 0, messages = 0;
  std::uint32_t expected = 1;
  std::string problem, error_answer;
  // A message is only known to be complete when the next one starts (or the stream
  // ends): "This is PMU data 1" could still become "...10". Its time stamp is when its
  // first bytes arrived.
  Clock::time_point chunk_time{}, message_time{};
  bool have_message_time = false;
  auto on_message = [&](std::string_view m) {
    const Clock::time_point started = message_time;
    message_time = chunk_time;  // the next message began in the chunk being split
    const std::string text(m);
    if (messages == 0 && text.rfind("ERROR", 0) == 0) {
      error_answer = ErrorAnswer(text);
      return;
    }
    ++messages;
    auto index = proto::ParsePmuMessage(text);
    if (!index.ok()) {
      if (problem.empty()) problem = "message " + std::to_string(messages) + " is not a PMU message: '" + text + "'";
    } else if (*index != expected) {
      if (problem.empty()) {
        problem = "message " + std::to_string(messages) + " has index " + std::to_string(*index) + ", expected " +
                  std::to_string(expected);
      }
    }
    if (index.ok()) expected = *index + 1;
    if (!quiet) {
      if (timestamps) std::cout << "+" << FormatFixed(ToSeconds(started - ctx.start), 3) << "s ";
      std::cout << text << "\n" << std::flush;
    }
  };
  char buf[4096];
  for (;;) {
    const std::size_t n = stream.Receive(buf, sizeof(buf));
    if (n == 0) break;
    ++recv_calls;
    bytes += n;
    chunk_time = Clock::now();
    if (!have_message_time) {
      message_time = chunk_time;
      have_message_time = true;
    }
    splitter.Feed(AsBytes(buf, n), on_message);
  }
  splitter.Finish(on_message);
  const double elapsed = ToSeconds(Clock::now() - ctx.start);

  Report r = ctx.report;
  if (!error_answer.empty()) {
    r.Add("error", error_answer).Add("bytes", bytes).Add("recv_calls", recv_calls).Add("elapsed_s", elapsed);
    r.Print(ctx.json, ctx.name + ": the device answered: " + error_answer);
    return kExitProtocol;
  }
  r.Add("messages", messages).Add("bytes", bytes).Add("recv_calls", recv_calls).Add("elapsed_s", elapsed)
      .Add("sequence_ok", problem.empty());
  std::ostringstream human;
  human << messages << " messages, " << bytes << " bytes in " << recv_calls << " receive calls, "
        << FormatFixed(elapsed, 3) << " s, from " << ctx.peer;
  r.Print(ctx.json, human.str());
  if (!problem.empty()) return ReportFailure(ctx.name, problem);
  if (messages == 0) return ReportFailure(ctx.name, "the device closed without sending a message");
  return kExitOk;
}

namespace {

int RunShort(const ShortOptions& o) {
  const std::string command = "CMD_short:" + o.delay;
  if (auto parsed = proto::ParseCommand(command); !parsed.ok()) {
    return ReportFailure("pdc short", parsed.status().message(), kExitUsage);
  }
  Endpoint peer;
  const auto start = Clock::now();
  TcpStream stream(ConnectAndSend(o.target, command, o.bare, &peer), o.target.timeout_ms());
  return ReadShortAnswer(stream, MakeContext("pdc short", command, peer, o.json, start), o.timestamps,
                         o.quiet);
}

// ---- floodme ------------------------------------------------------------------------

struct FloodmeOptions {
  Target target;
  bool json = false;
  std::uint64_t size = 0;
  std::string output;
  std::size_t buffer = 64 * 1024;
};

}  // namespace

int ReadFloodmeAnswer(ByteStream& stream, const AnswerContext& ctx, std::uint64_t expected_size,
                      const std::string& output, std::size_t buffer_size) {
  std::unique_ptr<std::ostream> file;
  std::ostream* out = nullptr;
  if (output == "-") {
    out = &std::cout;
  } else if (!output.empty()) {
    file = std::make_unique<std::ofstream>(output, std::ios::binary);
    if (!*file) return ReportFailure(ctx.name, "cannot write " + output, kExitFailure);
    out = file.get();
  }
  std::vector<char> buf(buffer_size);
  std::uint64_t bytes = 0, recv_calls = 0;
  std::uint64_t mismatch_at = UINT64_MAX;
  std::string head;  // the first bytes, to recognise an ERROR answer
  crypto::Sha256 sha;
  Clock::time_point first_byte{};
  for (;;) {
    const std::size_t n = stream.Receive(buf.data(), buf.size());
    if (n == 0) break;
    if (recv_calls == 0) first_byte = Clock::now();
    ++recv_calls;
    const ByteSpan data = AsBytes(buf.data(), n);
    if (head.size() < 64) head.append(buf.data(), std::min<std::size_t>(n, 64 - head.size()));
    if (mismatch_at == UINT64_MAX) {
      const std::size_t m = proto::FloodmeMismatch(bytes, data);
      if (m < n) mismatch_at = bytes + m;
    }
    sha.Update(data);
    if (out) out->write(buf.data(), static_cast<std::streamsize>(n));
    bytes += n;
  }
  const auto end = Clock::now();
  if (out) out->flush();
  const double elapsed = ToSeconds(end - ctx.start);
  const double transfer = recv_calls ? ToSeconds(end - first_byte) : 0.0;
  const std::string digest = crypto::Sha256::ToHex(sha.Finish()).c_str();

  Report r = ctx.report;
  if (mismatch_at == 0 && head.rfind("ERROR", 0) == 0) {
    const std::string err = ErrorAnswer(head);
    r.Add("error", err);
    r.Print(ctx.json, ctx.name + ": the device answered: " + err);
    return kExitProtocol;
  }
  const bool content_ok = mismatch_at == UINT64_MAX;
  const bool size_ok = expected_size == 0 || bytes == expected_size;
  const double mbps = elapsed > 0 ? static_cast<double>(bytes) * 8 / elapsed / 1e6 : 0.0;
  r.Add("bytes", bytes).Add("recv_calls", recv_calls).Add("elapsed_s", elapsed).Add("transfer_s", transfer)
      .Add("mbit_per_s", mbps).Add("sha256", digest).Add("content_ok", content_ok).Add("size_ok", size_ok);
  std::ostringstream human;
  human << bytes << " bytes in " << recv_calls << " receive calls, " << FormatFixed(elapsed, 3) << " s ("
        << FormatFixed(mbps, 1) << " Mbit/s), sha256 " << digest << ", content " << (content_ok ? "ok" : "WRONG");
  r.Print(ctx.json, human.str());
  if (!content_ok) {
    return ReportFailure(ctx.name, "byte " + std::to_string(mismatch_at) + " differs from the CMD_floodme text");
  }
  if (!size_ok) {
    return ReportFailure(ctx.name, "expected " + std::to_string(expected_size) + " bytes, got " + std::to_string(bytes));
  }
  return kExitOk;
}

namespace {

int RunFloodme(const FloodmeOptions& o) {
  const std::string command = o.size ? "CMD_floodme:" + std::to_string(o.size) : "CMD_floodme";
  Endpoint peer;
  const auto start = Clock::now();
  TcpStream stream(ConnectAndSend(o.target, command, false, &peer), o.target.timeout_ms());
  return ReadFloodmeAnswer(stream, MakeContext("pdc floodme", command, peer, o.json, start), o.size,
                           o.output, o.buffer);
}

// ---- command (raw) --------------------------------------------------------------------

struct CommandOptions {
  Target target;
  bool json = false;
  std::string text;
  bool bare = false;
};

}  // namespace

int ReadRawAnswer(ByteStream& stream, const AnswerContext& ctx) {
  std::string reply;
  std::uint64_t recv_calls = 0, bytes = 0;
  char buf[16384];
  for (;;) {
    const std::size_t n = stream.Receive(buf, sizeof(buf));
    if (n == 0) break;
    ++recv_calls;
    bytes += n;
    std::cout.write(buf, static_cast<std::streamsize>(n));
    if (reply.size() < 4096) reply.append(buf, std::min<std::size_t>(n, 4096 - reply.size()));
  }
  std::cout.flush();
  const double elapsed = ToSeconds(Clock::now() - ctx.start);
  const std::string err = ErrorAnswer(reply);
  Report r = ctx.report;
  r.Add("bytes", bytes).Add("recv_calls", recv_calls).Add("elapsed_s", elapsed);
  if (!err.empty()) r.Add("error", err);
  r.Print(ctx.json, err.empty() ? "answer complete after " + FormatFixed(elapsed, 3) + " s from " + ctx.peer
                                : ctx.name + ": the device answered: " + err);
  return err.empty() ? kExitOk : kExitProtocol;
}

namespace {

int RunCommand(const CommandOptions& o) {
  Endpoint peer;
  const auto start = Clock::now();
  TcpStream stream(ConnectAndSend(o.target, o.text, o.bare, &peer), o.target.timeout_ms());
  return ReadRawAnswer(stream, MakeContext("pdc command", o.text, peer, o.json, start));
}

// ---- echo ------------------------------------------------------------------------------

struct EchoOptions {
  Target target;
  bool json = false;
  std::vector<std::string> words;
  bool no_newline = false;
  unsigned count = 1;
};

int RunEchoText(const EchoOptions& o) {
  std::string message;
  for (std::size_t i = 0; i < o.words.size(); ++i) message += (i ? " " : "") + o.words[i];
  if (!o.no_newline) message += "\n";
  Endpoint peer;
  Socket s = ConnectTcp(o.target, &peer);
  std::vector<double> rtts;
  std::string back;
  for (unsigned i = 0; i < o.count; ++i) {
    const auto t0 = Clock::now();
    SendAll(s, message.data(), message.size(), o.target.timeout_ms());
    back.clear();
    char buf[4096];
    while (back.size() < message.size()) {
      const std::size_t n = RecvSome(s, buf, std::min(sizeof(buf), message.size() - back.size()),
                                     o.target.timeout_ms());
      if (n == 0) throw ProtocolError("the device closed after echoing " + std::to_string(back.size()) + " of " +
                                      std::to_string(message.size()) + " bytes");
      back.append(buf, n);
    }
    rtts.push_back(ToSeconds(Clock::now() - t0) * 1000.0);
    if (back != message) throw ProtocolError("the echo differs from what was sent");
  }
  shutdown(s.fd(), SHUT_WR);
  char tail[256];
  if (RecvSome(s, tail, sizeof(tail), o.target.timeout_ms()) != 0) {
    throw ProtocolError("the device sent more than it was sent");
  }
  std::cout << back << std::flush;
  const double mn = *std::min_element(rtts.begin(), rtts.end());
  const double mx = *std::max_element(rtts.begin(), rtts.end());
  double sum = 0;
  for (double v : rtts) sum += v;
  const double avg = sum / static_cast<double>(rtts.size());
  Report r;
  r.Add("peer", peer.ToString()).Add("family", peer.FamilyName()).Add("bytes", std::uint64_t{message.size()})
      .Add("round_trips", std::uint64_t{o.count}).Add("rtt_min_ms", mn).Add("rtt_avg_ms", avg)
      .Add("rtt_max_ms", mx).Add("match", true);
  r.Print(o.json, std::to_string(o.count) + " round trips of " + std::to_string(message.size()) +
                             " bytes with " + peer.ToString() + ": rtt min/avg/max " + FormatFixed(mn, 3) + "/" +
                             FormatFixed(avg, 3) + "/" + FormatFixed(mx, 3) + " ms, echo matches");
  return kExitOk;
}

// Standard input through the echo service: writes and reads at once so that large
// inputs cannot deadlock on full windows; compares everything at the end.
int RunEchoStream(const EchoOptions& o) {
  Endpoint peer;
  Socket s = ConnectTcp(o.target, &peer);
  const auto start = Clock::now();
  std::string sent, received;
  bool stdin_open = true, write_closed = false;
  std::string pending;
  char buf[65536];
  for (;;) {
    pollfd fds[2] = {{s.fd(), static_cast<short>(POLLIN | (pending.empty() ? 0 : POLLOUT)), 0},
                     {stdin_open && pending.empty() ? 0 : -1, POLLIN, 0}};
    const int rc = poll(fds, 2, static_cast<int>(o.target.timeout_ms().count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) throw NetError("timed out waiting for the echo");
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      const ssize_t n = read(0, buf, sizeof(buf));
      if (n <= 0) {
        stdin_open = false;
      } else {
        pending.append(buf, static_cast<std::size_t>(n));
        sent.append(buf, static_cast<std::size_t>(n));
      }
    }
    if (!pending.empty() && (fds[0].revents & POLLOUT)) {
      const ssize_t n = send(s.fd(), pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR) throw NetError(std::string("send: ") + std::strerror(errno));
      if (n > 0) pending.erase(0, static_cast<std::size_t>(n));
    }
    if (!stdin_open && pending.empty() && !write_closed) {
      shutdown(s.fd(), SHUT_WR);
      write_closed = true;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = recv(s.fd(), buf, sizeof(buf), MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR) throw NetError(std::string("receive: ") + std::strerror(errno));
      if (n == 0) break;
      if (n > 0) {
        received.append(buf, static_cast<std::size_t>(n));
        std::cout.write(buf, n);
      }
    }
  }
  std::cout.flush();
  const double elapsed = ToSeconds(Clock::now() - start);
  const bool match = sent == received && !stdin_open;
  Report r;
  r.Add("peer", peer.ToString()).Add("family", peer.FamilyName()).Add("bytes_sent", std::uint64_t{sent.size()})
      .Add("bytes_received", std::uint64_t{received.size()}).Add("elapsed_s", elapsed).Add("match", match);
  r.Print(o.json, std::to_string(sent.size()) + " bytes sent, " + std::to_string(received.size()) +
                             " echoed by " + peer.ToString() + " in " + FormatFixed(elapsed, 3) + " s" +
                             (match ? ", echo matches" : ", ECHO DIFFERS"));
  return match ? kExitOk : kExitProtocol;
}

// ---- send (UDP sink) ----------------------------------------------------------------------

struct SendOptions {
  Target target;
  bool json = false;
  std::vector<std::string> words;
};

int RunSend(const SendOptions& o) {
  const auto endpoints = Resolve(o.target.host, o.target.port, o.target.family(), SOCK_DGRAM);
  const Endpoint& dest = endpoints.front();
  Socket s(socket(dest.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw NetError(std::string("socket: ") + std::strerror(errno));
  std::vector<std::string> datagrams;
  if (!o.words.empty()) {
    std::string text;
    for (std::size_t i = 0; i < o.words.size(); ++i) text += (i ? " " : "") + o.words[i];
    datagrams.push_back(text);
  }
  std::uint64_t count = 0, bytes = 0;
  auto send_one = [&](const std::string& d) {
    if (d.size() > 65507) throw ProtocolError("a datagram of " + std::to_string(d.size()) + " bytes is too large");
    if (sendto(s.fd(), d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&dest.addr), dest.len) < 0) {
      throw NetError("send to " + dest.ToString() + ": " + std::strerror(errno));
    }
    ++count;
    bytes += d.size();
  };
  if (!datagrams.empty()) {
    send_one(datagrams.front());
  } else {
    std::string line;
    while (std::getline(std::cin, line)) send_one(line);
  }
  Report r;
  r.Add("peer", dest.ToString()).Add("family", dest.FamilyName()).Add("datagrams", count).Add("bytes", bytes);
  r.Print(o.json, "sent " + std::to_string(count) + " datagrams (" + std::to_string(bytes) + " bytes) to " +
                             dest.ToString());
  return kExitOk;
}

}  // namespace

void AddLabServiceCommands(CLI::App& app, std::function<int()>& run) {
  {
    auto o = std::make_shared<ShortOptions>();
    auto* sub = app.add_subcommand(
        "short", "CMD_short:DELAY on the command service: print each PMU message on its own line");
    AddTargetOptions(sub, o->target, 5003);
    sub->add_flag("--json", o->json, kJsonSummaryHelp);
    sub->add_option("delay", o->delay, "seconds between messages, 0 to 10 (decimals allowed)")->required();
    sub->add_flag("--bare", o->bare, "send the command without a line feed (the device waits ~50 ms)");
    sub->add_flag("--timestamps", o->timestamps, "prefix each message with its arrival time");
    sub->add_flag("-q,--quiet", o->quiet, "do not print the messages, only the summary");
    sub->footer("Splits the byte stream on the 'This is PMU data ' prefix and checks the numbering.\n"
                "Summary (stderr, or --json on stdout): messages, bytes, receive calls, time.");
    sub->callback([o, &run] { run = [o] { return RunShort(*o); }; });
  }
  {
    auto o = std::make_shared<FloodmeOptions>();
    auto* sub = app.add_subcommand("floodme", "CMD_floodme[:N] on the command service: receive, check and digest it");
    AddTargetOptions(sub, o->target, 5003);
    sub->add_flag("--json", o->json, kJsonSummaryHelp);
    sub->add_option("-n,--size", o->size, "ask for N bytes (CMD_floodme:N; default: the device's size)")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
    sub->add_option("-o,--output", o->output, "also write the data to FILE ('-' for standard output)");
    sub->add_option("--buffer", o->buffer, "bytes per receive call (default 65536)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
    sub->footer("Checks every byte against the documented CMD_floodme text and prints the SHA-256,\n"
                "the number of receive calls, the time and the throughput.");
    sub->callback([o, &run] { run = [o] { return RunFloodme(*o); }; });
  }
  {
    auto o = std::make_shared<CommandOptions>();
    auto* sub = app.add_subcommand("command", "send any text to the command service and print the answer as is");
    AddTargetOptions(sub, o->target, 5003);
    sub->add_flag("--json", o->json, kJsonSummaryHelp);
    sub->add_option("text", o->text, "the command, e.g. CMD_short:0")->required();
    sub->add_flag("--bare", o->bare, "send without a line feed");
    sub->footer("Exit status 4 when the device answers ERROR.");
    sub->callback([o, &run] { run = [o] { return RunCommand(*o); }; });
  }
  {
    auto o = std::make_shared<EchoOptions>();
    auto* sub = app.add_subcommand("echo", "round trips through the TCP echo service");
    AddTargetOptions(sub, o->target, 5002);
    sub->add_flag("--json", o->json, kJsonSummaryHelp);
    sub->add_option("text", o->words, "text to send (a line feed is added); without it, standard input is "
                                      "sent and the echo written to standard output");
    sub->add_flag("-n,--no-newline", o->no_newline, "do not add a line feed to TEXT");
    sub->add_option("-c,--count", o->count, "round trips with TEXT (default 1)")->check(CLI::Range(1u, 1000000u));
    sub->callback([o, &run] {
      run = [o] { return o->words.empty() ? RunEchoStream(*o) : RunEchoText(*o); };
    });
  }
  {
    auto o = std::make_shared<SendOptions>();
    auto* sub = app.add_subcommand("send", "datagrams to the UDP sink (the device logs them, answers nothing)");
    AddTargetOptions(sub, o->target, 5001);
    sub->add_flag("--json", o->json, kJsonSummaryHelp);
    sub->add_option("text", o->words, "text of one datagram; without it, each line of standard input is one");
    sub->callback([o, &run] { run = [o] { return RunSend(*o); }; });
  }
}

}  // namespace pmu::pdc
