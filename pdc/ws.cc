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

// What came back over the connection, as the summary and the exit status need it.
struct WsAnswer {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;       // payload
  std::uint64_t wire_bytes = 0;  // frames, after the handshake
  std::uint64_t recv_calls = 0;
  std::uint64_t pings = 0;
  std::uint64_t largest = 0;
  std::uint64_t floodme_mismatch = UINT64_MAX;  // CMD_floodme: the first byte that differs
  std::string error_answer;                     // the device's "ERROR ..." message
  std::string problem;                          // how the server broke the protocol
  std::optional<std::uint16_t> close_code;      // none: the server sent no close frame
  std::string close_reason;
  std::string sha256;
};

// One run of pdc ws, in the order it happens: Connect, Handshake (the upgrade),
// Exchange (the command, then every message up to the close), PrintSummary and
// ExitStatus. The members are what the steps hand on to each other.
class WsSession {
 public:
  explicit WsSession(const WsOptions& o)
      : o_(o), url_(ParseWsUrl(o.url, o.port)), timeout_(ParseDuration(o.timeout)), floodme_(IsFloodme(o.command)) {}

  int Run() {
    OpenOutput();
    Connect();
    if (!Handshake()) return kExitProtocol;  // the summary said why
    Exchange();
    PrintSummary();
    return ExitStatus();
  }

 private:
  void OpenOutput();
  void Connect();
  bool Handshake();
  void ReportRefusal(const Status& refusal);
  void Exchange();
  void ReadMessages();
  bool Feed(MutableByteSpan data);
  void OnPiece(const ws::MessageEvent& ev);
  void PrintMessage(ws::Opcode type);
  void AwaitServerClose();
  void PrintSummary();
  int ExitStatus() const;
  bool FloodmeContentOk() const { return answer_.floodme_mismatch == UINT64_MAX && answer_.messages == 1; }
  void Send(const std::vector<std::byte>& frame) { SendAll(socket_, frame.data(), frame.size(), timeout_); }

  const WsOptions& o_;
  const WsUrl url_;
  const milliseconds timeout_;
  const bool floodme_;
  std::unique_ptr<std::ofstream> file_;  // --output
  Endpoint peer_;
  Clock::time_point start_{};
  Socket socket_;
  Report summary_;
  // The handshake, and the bytes of the first frames that came with its end.
  ws::HttpHeadReader head_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(64 * 1024);
  std::size_t leftover_at_ = 0, leftover_ = 0;
  // The answer: the message being received, and the totals.
  ws::MessageDecoder decoder_{ws::Role::kClient, ws::kMaxPayloadLength};
  crypto::Sha256 sha_;
  std::string text_;  // the message's first print_limit + 1 bytes
  std::uint64_t message_bytes_ = 0;
  Clock::time_point chunk_time_{}, message_time_{}, answered_{};
  bool server_closed_tcp_ = false;
  WsAnswer answer_;
};

void WsSession::OpenOutput() {
  if (o_.output.empty()) return;
  file_ = std::make_unique<std::ofstream>(o_.output, std::ios::binary);
  if (!*file_) throw std::runtime_error("cannot write " + o_.output);
}

void WsSession::Connect() {
  start_ = Clock::now();
  socket_ = ConnectTcp(Resolve(url_.host, url_.port, o_.only.family(), SOCK_STREAM), timeout_, &peer_);
}

// Sends the upgrade request and reads the response head. False when the server refused
// the upgrade or answered it wrongly (the summary has then said why); a head too large
// to be one is a ProtocolError.
bool WsSession::Handshake() {
  std::array<std::byte, 16> nonce;
  FillRandom(nonce.data(), nonce.size());
  const ws::ClientKey key = ws::MakeClientKey(nonce);
  const ws::AcceptKey expected = ws::ComputeAcceptKey(key.view());
  char request[ws::kMaxHandshakeSize + 256];
  const std::size_t request_size = ws::WriteUpgradeRequest(url_.HostHeader(), url_.path, key.view(), request);
  if (request_size == 0) throw std::invalid_argument("the URL does not fit in an upgrade request");
  SendAll(socket_, request, request_size, timeout_);

  while (head_.state() == ws::HttpHeadReader::State::kReading) {
    const std::size_t n = RecvSome(socket_, buffer_.data(), buffer_.size(), timeout_);
    if (n == 0) throw ProtocolError("the server closed the connection during the handshake");
    const std::size_t used = head_.Feed(ByteSpan(buffer_.data(), n));
    leftover_at_ = used;
    leftover_ = n - used;
  }
  summary_.Add("url", "ws://" + url_.HostHeader() + url_.path).Add("command", o_.command)
      .Add("peer", peer_.ToString()).Add("family", peer_.FamilyName());
  if (head_.state() == ws::HttpHeadReader::State::kTooLarge) {
    throw ProtocolError("the server's response head is larger than 2048 bytes");
  }
  if (const Status st = ws::CheckUpgradeResponse(head_.head(), expected.view()); !st.ok()) {
    ReportRefusal(st);
    return false;
  }
  return true;
}

// The summary for an upgrade that failed: for a refusal, the server's status line and
// the first line of its body, which usually says why.
void WsSession::ReportRefusal(const Status& refusal) {
  std::string what = refusal.message();
  if (refusal.code() == StatusCode::kUnavailable) {
    const Result<ws::HttpStatusLine> line = ws::ParseStatusLine(head_.head());
    std::string body(reinterpret_cast<const char*>(buffer_.data()) + leftover_at_, leftover_);
    body = body.substr(0, body.find('\n'));
    what = "the server refused the upgrade: " +
           (line.ok() ? std::to_string(line->code) + " " + std::string(line->reason) : std::string("?"));
    if (!body.empty()) what += " (" + body + ")";
    summary_.Add("http_status", std::uint64_t{line.ok() ? line->code : 0u});
  }
  summary_.Add("accept_verified", false).Add("error", what);
  summary_.Print(o_.json, "pdc ws: " + what);
}

void WsSession::Exchange() {
  Send(ClientFrame(ws::Opcode::kText, AsBytes(o_.command)));
  ReadMessages();
  answered_ = Clock::now();
  AwaitServerClose();
  if (file_) file_->flush();
  if (!answer_.close_code && answer_.problem.empty()) {
    answer_.problem = "the server closed TCP without a close frame (1006)";
  }
  answer_.sha256 = crypto::Sha256::ToHex(sha_.Finish()).c_str();
}

// Decodes frames until the close handshake is done, the server broke the protocol, or
// it closed TCP. The first bytes may have come with the end of the handshake.
void WsSession::ReadMessages() {
  chunk_time_ = Clock::now();
  answer_.wire_bytes = leftover_;
  if (leftover_ > 0) ++answer_.recv_calls;
  bool open = leftover_ == 0 || Feed(MutableByteSpan(buffer_.data() + leftover_at_, leftover_));
  while (open) {
    const std::size_t n = RecvSome(socket_, buffer_.data(), buffer_.size(), timeout_);
    if (n == 0) {
      server_closed_tcp_ = true;
      break;
    }
    chunk_time_ = Clock::now();
    ++answer_.recv_calls;
    answer_.wire_bytes += n;
    open = Feed(MutableByteSpan(buffer_.data(), n));
  }
}

// Hands the bytes in `data` to the decoder; returns false once the exchange is over.
bool WsSession::Feed(MutableByteSpan data) {
  for (;;) {
    const ws::MessageEvent ev = decoder_.Next(data);
    switch (ev.kind) {
      case ws::MessageEvent::Kind::kNeedMore:
        return !decoder_.finished();
      case ws::MessageEvent::Kind::kData:
        OnPiece(ev);
        break;
      case ws::MessageEvent::Kind::kPing:
        ++answer_.pings;
        Send(ClientFrame(ws::Opcode::kPong, ev.data));
        break;
      case ws::MessageEvent::Kind::kPong:
        break;
      case ws::MessageEvent::Kind::kClose:
        answer_.close_code = ev.close_code;
        answer_.close_reason = std::string(ev.close_reason);
        // Echo the code (an empty close is echoed empty), then the server closes TCP.
        Send(ClientClose(ev.close_code, ""));
        return false;
      case ws::MessageEvent::Kind::kError:
        answer_.problem = std::string("the server broke the protocol: ") + ev.error.reason;
        Send(ClientClose(ev.error.close_code, ev.error.reason));
        return false;
    }
  }
}

// A piece of a message's payload: checked, digested, written; the last one prints it.
void WsSession::OnPiece(const ws::MessageEvent& ev) {
  if (ev.first) {
    text_.clear();
    message_bytes_ = 0;
    message_time_ = chunk_time_;
  }
  if (floodme_ && answer_.messages == 0 && answer_.floodme_mismatch == UINT64_MAX) {
    const std::size_t m = proto::FloodmeMismatch(message_bytes_, ev.data);
    if (m < ev.data.size()) answer_.floodme_mismatch = message_bytes_ + m;
  }
  if (text_.size() <= o_.print_limit) text_.append(AsText(ev.data).substr(0, o_.print_limit + 1 - text_.size()));
  message_bytes_ += ev.data.size();
  answer_.bytes += ev.data.size();
  sha_.Update(ev.data);
  if (file_) file_->write(reinterpret_cast<const char*>(ev.data.data()), static_cast<std::streamsize>(ev.data.size()));
  if (!ev.last) return;
  ++answer_.messages;
  answer_.largest = std::max(answer_.largest, message_bytes_);
  if (answer_.messages == 1 && ev.message_type == ws::Opcode::kText && text_.rfind("ERROR", 0) == 0) {
    answer_.error_answer = text_;
  }
  if (!o_.quiet) PrintMessage(ev.message_type);
}

// A whole message on its own line, or a note of its size when it is binary or too long.
void WsSession::PrintMessage(ws::Opcode type) {
  if (o_.timestamps) std::cout << "+" << FormatFixed(ToSeconds(message_time_ - start_), 3) << "s ";
  if (message_bytes_ <= o_.print_limit && type == ws::Opcode::kText) {
    std::cout << text_ << "\n";
  } else {
    std::cout << "[message " << answer_.messages << ": " << message_bytes_ << " bytes"
              << (type == ws::Opcode::kBinary ? " binary" : "") << ", not shown]\n";
  }
  std::cout << std::flush;
}

// After the close handshake the server closes TCP first (RFC 6455 section 7.1.1); one
// that does not is worth a word, not a failure.
void WsSession::AwaitServerClose() {
  if (server_closed_tcp_) return;
  try {
    std::byte tail[256];
    while (RecvSome(socket_, tail, sizeof(tail), timeout_) != 0) {
    }
  } catch (const NetError& e) {
    std::cerr << "pdc ws: the server did not close the connection after the close handshake (" << e.what()
              << ")\n";
  }
}

void WsSession::PrintSummary() {
  const WsAnswer& a = answer_;
  const double elapsed = ToSeconds(answered_ - start_);
  const std::uint16_t code = a.close_code.value_or(ws::kCloseAbnormal);
  const bool show_content = floodme_ && a.error_answer.empty();
  summary_.Add("accept_verified", true).Add("messages", a.messages).Add("frames", decoder_.data_frames())
      .Add("control_frames", decoder_.control_frames()).Add("bytes", a.bytes).Add("wire_bytes", a.wire_bytes)
      .Add("recv_calls", a.recv_calls).Add("largest_message", a.largest).Add("pings", a.pings)
      .Add("elapsed_s", elapsed).Add("close_code", std::uint64_t{code}).Add("close_reason", a.close_reason)
      .Add("sha256", a.sha256);
  if (show_content) summary_.Add("content_ok", FloodmeContentOk());
  if (!a.error_answer.empty()) summary_.Add("error", a.error_answer);
  std::ostringstream human;
  human << a.messages << (a.messages == 1 ? " message" : " messages") << " in " << decoder_.data_frames()
        << (decoder_.data_frames() == 1 ? " frame, " : " frames, ") << a.bytes << " bytes (" << a.wire_bytes
        << " on the wire in " << a.recv_calls << " receive calls), " << FormatFixed(elapsed, 3) << " s, close "
        << code;
  if (!a.close_reason.empty()) human << " (" << a.close_reason << ")";
  human << ", accept key verified, from " << peer_.ToString();
  if (show_content) human << "; sha256 " << a.sha256 << ", content " << (FloodmeContentOk() ? "ok" : "WRONG");
  summary_.Print(o_.json, human.str());
}

// 0 for a normal close after a good answer; otherwise 4, with the first reason that
// applies, the most basic first.
int WsSession::ExitStatus() const {
  const WsAnswer& a = answer_;
  const std::uint16_t code = a.close_code.value_or(ws::kCloseAbnormal);
  std::string why;
  if (!a.problem.empty()) {
    why = a.problem;
  } else if (!a.error_answer.empty()) {
    why = "the device answered: " + a.error_answer;
  } else if (code != ws::kCloseNormal) {
    why = "the server closed with status " + std::to_string(code);
  } else if (floodme_ && a.floodme_mismatch != UINT64_MAX) {
    why = "byte " + std::to_string(a.floodme_mismatch) + " differs from the CMD_floodme text";
  } else if (floodme_ && a.messages != 1) {
    why = "CMD_floodme came in " + std::to_string(a.messages) + " messages, expected exactly one";
  }
  return why.empty() ? kExitOk : ReportFailure("pdc ws", why);
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
  sub->callback([o, &run] { run = [o] { return WsSession(*o).Run(); }; });
}

}  // namespace pmu::pdc
