#include "ws.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "exit_status.h"
#include "net.h"
#include "pmu/crypto/sha256.h"
#include "pmu/proto/floodme.h"
#include "pmu/proto/websocket_frame.h"
#include "pmu/proto/websocket_handshake.h"
#include "report.h"
#include "target.h"
#include "ws_url.h"

namespace pmu::pdc {
namespace {

namespace ws = proto::websocket;
using std::chrono::milliseconds;

struct WsOptions {
  std::string url;
  std::string command;
  unsigned port = 5006;
  FamilyChoice only;
  std::string timeout = "30";
  bool json = false;
  std::string output;
  std::size_t print_limit = 4096;
  bool timestamps = false;
  bool quiet = false;
};

// Fills `out` from the kernel's random source: masks and nonces a server cannot predict.
void FillRandom(void* out, std::size_t size) {
  auto* p = static_cast<unsigned char*>(out);
  while (size > 0) {
    const ssize_t n = getrandom(p, size, 0);
    if (n < 0 && errno != EINTR) throw std::runtime_error("getrandom failed");
    if (n > 0) {
      p += n;
      size -= static_cast<std::size_t>(n);
    }
  }
}

// A client frame: masked with a fresh random key (RFC 6455 section 5.3).
std::vector<std::byte> ClientFrame(ws::Opcode op, ByteSpan payload) {
  ws::Mask mask;
  FillRandom(mask.data(), mask.size());
  std::vector<std::byte> out(ws::kMaxFrameHeaderSize + payload.size());
  out.resize(ws::EncodeFrame(op, true, payload, mask, out));
  return out;
}

std::vector<std::byte> ClientClose(std::uint16_t code, std::string_view reason) {
  ws::Mask mask;
  FillRandom(mask.data(), mask.size());
  std::vector<std::byte> out(ws::kMaxFrameHeaderSize + ws::kMaxControlPayload);
  out.resize(ws::EncodeCloseFrame(code, reason, mask, out));
  return out;
}

bool IsFloodme(const std::string& command) {
  std::string c = command;
  while (!c.empty() && (c.back() == ' ' || c.back() == '\n' || c.back() == '\r' || c.back() == '\t')) c.pop_back();
  return c == "CMD_floodme" || c.rfind("CMD_floodme:", 0) == 0;
}

int RunWs(const WsOptions& o) {
  const WsUrl url = ParseWsUrl(o.url, o.port);
  const milliseconds timeout = ParseDuration(o.timeout);
  const Family family = o.only.family();
  std::unique_ptr<std::ofstream> file;
  if (!o.output.empty()) {
    file = std::make_unique<std::ofstream>(o.output, std::ios::binary);
    if (!*file) {
      std::cerr << "pdc ws: cannot write " << o.output << "\n";
      return kExitFailure;
    }
  }

  Endpoint peer;
  const auto start = Clock::now();
  Socket s = ConnectTcp(Resolve(url.host, url.port, family, SOCK_STREAM), timeout, &peer);

  // ---- opening handshake ----
  std::array<std::byte, 16> nonce;
  FillRandom(nonce.data(), nonce.size());
  const ws::ClientKey key = ws::MakeClientKey(nonce);
  const ws::AcceptKey expected = ws::ComputeAcceptKey(key.view());
  char request[ws::kMaxHandshakeSize + 256];
  const std::size_t request_size = ws::WriteUpgradeRequest(url.HostHeader(), url.path, key.view(), request);
  if (request_size == 0) throw std::invalid_argument("the URL does not fit in an upgrade request");
  SendAll(s, request, request_size, timeout);

  std::vector<std::byte> buf(64 * 1024);
  ws::HttpHeadReader head;
  std::size_t leftover_at = 0, leftover = 0;
  while (head.state() == ws::HttpHeadReader::State::kReading) {
    const std::size_t n = RecvSome(s, buf.data(), buf.size(), timeout);
    if (n == 0) throw ProtocolError("the server closed the connection during the handshake");
    const std::size_t used = head.Feed(ByteSpan(buf.data(), n));
    leftover_at = used;
    leftover = n - used;
  }
  Report r;
  r.Add("url", "ws://" + url.HostHeader() + url.path).Add("command", o.command).Add("peer", peer.ToString())
      .Add("family", peer.FamilyName());
  if (head.state() == ws::HttpHeadReader::State::kTooLarge) {
    throw ProtocolError("the server's response head is larger than 2048 bytes");
  }
  if (const Status st = ws::CheckUpgradeResponse(head.head(), expected.view()); !st.ok()) {
    std::string what = st.message();
    if (st.code() == StatusCode::kUnavailable) {
      const Result<ws::HttpStatusLine> line = ws::ParseStatusLine(head.head());
      std::string body(reinterpret_cast<const char*>(buf.data()) + leftover_at, leftover);
      body = body.substr(0, body.find('\n'));
      what = "the server refused the upgrade: " + (line.ok() ? std::to_string(line->code) + " " +
                                                                    std::string(line->reason)
                                                              : std::string("?"));
      if (!body.empty()) what += " (" + body + ")";
      r.Add("http_status", std::uint64_t{line.ok() ? line->code : 0u});
    }
    r.Add("accept_verified", false).Add("error", what);
    r.Print(o.json, "pdc ws: " + what);
    return kExitProtocol;
  }

  // ---- the command, then the answer ----
  const std::vector<std::byte> command_frame = ClientFrame(ws::Opcode::kText, AsBytes(o.command));
  SendAll(s, command_frame.data(), command_frame.size(), timeout);

  ws::MessageDecoder decoder(ws::Role::kClient, ws::kMaxPayloadLength);
  const bool floodme = IsFloodme(o.command);
  crypto::Sha256 sha;
  std::uint64_t messages = 0, bytes = 0, wire_bytes = 0, recv_calls = 0, pings = 0;
  std::uint64_t message_bytes = 0, largest = 0;
  std::uint64_t floodme_mismatch = UINT64_MAX;
  std::string text, error_answer, problem;
  std::optional<std::uint16_t> close_code;
  std::string close_reason;
  bool close_sent = false;
  Clock::time_point chunk_time{}, message_time{};

  auto send = [&](const std::vector<std::byte>& frame) { SendAll(s, frame.data(), frame.size(), timeout); };
  auto on_piece = [&](const ws::MessageEvent& ev) {
    if (ev.first) {
      text.clear();
      message_bytes = 0;
      message_time = chunk_time;
    }
    if (floodme && messages == 0 && floodme_mismatch == UINT64_MAX) {
      const std::size_t m = proto::FloodmeMismatch(message_bytes, ev.data);
      if (m < ev.data.size()) floodme_mismatch = message_bytes + m;
    }
    if (text.size() <= o.print_limit) text.append(AsText(ev.data).substr(0, o.print_limit + 1 - text.size()));
    message_bytes += ev.data.size();
    bytes += ev.data.size();
    sha.Update(ev.data);
    if (file) file->write(reinterpret_cast<const char*>(ev.data.data()), static_cast<std::streamsize>(ev.data.size()));
    if (!ev.last) return;
    ++messages;
    largest = std::max(largest, message_bytes);
    if (messages == 1 && ev.message_type == ws::Opcode::kText && text.rfind("ERROR", 0) == 0) error_answer = text;
    if (o.quiet) return;
    if (o.timestamps) std::cout << "+" << FormatFixed(ToSeconds(message_time - start), 3) << "s ";
    if (message_bytes <= o.print_limit && ev.message_type == ws::Opcode::kText) {
      std::cout << text << "\n";
    } else {
      std::cout << "[message " << messages << ": " << message_bytes << " bytes"
                << (ev.message_type == ws::Opcode::kBinary ? " binary" : "") << ", not shown]\n";
    }
    std::cout << std::flush;
  };

  // Hands the bytes in `data` to the decoder; returns false once the exchange is over.
  auto feed = [&](MutableByteSpan data) -> bool {
    for (;;) {
      const ws::MessageEvent ev = decoder.Next(data);
      switch (ev.kind) {
        case ws::MessageEvent::Kind::kNeedMore:
          return !decoder.finished();
        case ws::MessageEvent::Kind::kData:
          on_piece(ev);
          break;
        case ws::MessageEvent::Kind::kPing:
          ++pings;
          send(ClientFrame(ws::Opcode::kPong, ev.data));
          break;
        case ws::MessageEvent::Kind::kPong:
          break;
        case ws::MessageEvent::Kind::kClose:
          close_code = ev.close_code;
          close_reason = std::string(ev.close_reason);
          // Echo the code (an empty close is echoed empty), then the server closes TCP.
          send(ClientClose(ev.close_code, ""));
          close_sent = true;
          return false;
        case ws::MessageEvent::Kind::kError:
          problem = std::string("the server broke the protocol: ") + ev.error.reason;
          send(ClientClose(ev.error.close_code, ev.error.reason));
          close_sent = true;
          return false;
      }
    }
  };

  chunk_time = Clock::now();
  wire_bytes = leftover;
  if (leftover > 0) ++recv_calls;
  bool open = leftover == 0 || feed(MutableByteSpan(buf.data() + leftover_at, leftover));
  bool server_closed_tcp = false;
  while (open) {
    const std::size_t n = RecvSome(s, buf.data(), buf.size(), timeout);
    if (n == 0) {
      server_closed_tcp = true;
      break;
    }
    chunk_time = Clock::now();
    ++recv_calls;
    wire_bytes += n;
    open = feed(MutableByteSpan(buf.data(), n));
  }
  const auto answered = Clock::now();
  // After the close handshake the server closes TCP first (RFC 6455 section 7.1.1).
  if (!server_closed_tcp) {
    try {
      std::byte tail[256];
      while (RecvSome(s, tail, sizeof(tail), timeout) != 0) {
      }
    } catch (const NetError& e) {
      std::cerr << "pdc ws: the server did not close the connection after the close handshake (" << e.what()
                << ")\n";
    }
  }
  if (file) file->flush();
  const double elapsed = ToSeconds(answered - start);
  const std::uint16_t code = close_code.value_or(ws::kCloseAbnormal);
  if (!close_code && problem.empty()) problem = "the server closed TCP without a close frame (1006)";
  (void)close_sent;

  const std::string digest = crypto::Sha256::ToHex(sha.Finish()).c_str();
  r.Add("accept_verified", true).Add("messages", messages).Add("frames", decoder.data_frames())
      .Add("control_frames", decoder.control_frames()).Add("bytes", bytes).Add("wire_bytes", wire_bytes)
      .Add("recv_calls", recv_calls).Add("largest_message", largest).Add("pings", pings)
      .Add("elapsed_s", elapsed).Add("close_code", std::uint64_t{code}).Add("close_reason", close_reason)
      .Add("sha256", digest);
  if (floodme && error_answer.empty()) r.Add("content_ok", floodme_mismatch == UINT64_MAX && messages == 1);
  if (!error_answer.empty()) r.Add("error", error_answer);
  std::ostringstream human;
  human << messages << (messages == 1 ? " message" : " messages") << " in " << decoder.data_frames()
        << (decoder.data_frames() == 1 ? " frame, " : " frames, ") << bytes << " bytes (" << wire_bytes
        << " on the wire in " << recv_calls << " receive calls), " << FormatFixed(elapsed, 3) << " s, close " << code;
  if (!close_reason.empty()) human << " (" << close_reason << ")";
  human << ", accept key verified, from " << peer.ToString();
  if (floodme && error_answer.empty()) {
    human << "; sha256 " << digest << ", content "
          << (floodme_mismatch == UINT64_MAX && messages == 1 ? "ok" : "WRONG");
  }
  r.Print(o.json, human.str());

  if (!problem.empty()) {
    std::cerr << "pdc ws: " << problem << "\n";
    return kExitProtocol;
  }
  if (!error_answer.empty()) {
    std::cerr << "pdc ws: the device answered: " << error_answer << "\n";
    return kExitProtocol;
  }
  if (code != ws::kCloseNormal) {
    std::cerr << "pdc ws: the server closed with status " << code << "\n";
    return kExitProtocol;
  }
  if (floodme && floodme_mismatch != UINT64_MAX) {
    std::cerr << "pdc ws: byte " << floodme_mismatch << " differs from the CMD_floodme text\n";
    return kExitProtocol;
  }
  if (floodme && messages != 1) {
    std::cerr << "pdc ws: CMD_floodme came in " << messages << " messages, expected exactly one\n";
    return kExitProtocol;
  }
  return kExitOk;
}

}  // namespace

void AddWsCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<WsOptions>();
  auto* sub = app.add_subcommand("ws", "a command over the WebSocket command service: print each message");
  sub->add_option("url", o->url,
                  "ws://HOST[:PORT][/path] (an IPv6 address in brackets), or just HOST; default port 5006")
      ->required();
  sub->add_option("command", o->command, "the command, e.g. CMD_short:0 or CMD_floodme")->required();
  AddPortOption(sub, o->port, "port when the URL has none (default 5006)");
  AddFamilyOptions(sub, o->only);
  AddTimeoutOption(sub, o->timeout, kProgressTimeoutHelp);
  sub->add_flag("--json", o->json, kJsonSummaryHelp);
  sub->add_option("-o,--output", o->output, "also write every message's payload, back to back, to FILE");
  sub->add_option("--print-limit", o->print_limit,
                  "messages longer than this many bytes are summarised, not printed (default 4096)");
  sub->add_flag("--timestamps", o->timestamps, "prefix each message with the time its first frame arrived");
  sub->add_flag("-q,--quiet", o->quiet, "do not print the messages, only the summary");
  sub->footer(
      "Performs the RFC 6455 handshake (and checks the server's Sec-WebSocket-Accept), sends the\n"
      "command as one masked text message, prints each message on its own line, answers pings,\n"
      "and echoes the server's close. Summary (stderr, or --json on stdout): messages, frames,\n"
      "bytes, receive calls, time, close code, SHA-256 of the payloads; for CMD_floodme every\n"
      "byte is checked against the documented text.\n"
      "Exit status 4 when the server refuses the upgrade, answers ERROR, closes with a code\n"
      "other than 1000, or breaks the protocol.");
  sub->callback([o, &run] { run = [o] { return RunWs(*o); }; });
}

}  // namespace pmu::pdc
