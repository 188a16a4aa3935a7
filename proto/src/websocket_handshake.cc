// The handshake's parsers and builders. Nothing here hashes: ComputeAcceptKey() and
// WriteHandshakeResponse() are in websocket_accept.cc, so that this file can be
// fuzzed without a SHA-1 backend.
#include "pmu/proto/websocket_handshake.h"

#include <cstdio>

#include "pmu/base/base64.h"

namespace pmu::proto::websocket {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// tchar of RFC 7230 section 3.2.6: the characters of a header name or a token.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Field values: visible characters, obs-text, space and tab; no other control.
bool IsValueChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7F);
}

// Visible, non-space characters (request target, host, key): no header injection.
bool IsVisible(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return false;
  }
  return true;
}

// Whether a comma-separated list value (Connection, Upgrade) holds `token`, compared
// without case. Empty elements (", ,") are allowed, as RFC 7230 section 7 asks.
bool ListHasToken(std::string_view list, std::string_view token) {
  while (true) {
    const std::size_t comma = list.find(',');
    if (EqualsNoCase(TrimOws(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

// A head cut into its start line and its field lines.
class Head {
 public:
  // Returns null on success, or the reason the head is not one.
  const char* Split(ByteSpan head) {
    std::string_view text = AsText(head);
    bool first = true;
    while (true) {
      const std::size_t lf = text.find('\n');
      if (lf == std::string_view::npos) return "head does not end with a blank line";
      std::string_view line = text.substr(0, lf);
      text.remove_prefix(lf + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (first) {
        start_ = line;
        fields_begin_ = AsText(head).size() - text.size();
        first = false;
        continue;
      }
      if (line.empty()) {
        fields_ = AsText(head).substr(fields_begin_, AsText(head).size() - text.size() - fields_begin_);
        return nullptr;
      }
    }
  }

  std::string_view start_line() const { return start_; }

  // Calls on_field(name, value) for each field, value without its surrounding white
  // space. Returns null, or the reason a line is not a well-formed field.
  template <typename OnField>
  const char* ForEachField(OnField&& on_field) const {
    std::string_view text = fields_;
    while (!text.empty()) {
      const std::size_t lf = text.find('\n');
      std::string_view line = text.substr(0, lf);
      text.remove_prefix(lf == std::string_view::npos ? text.size() : lf + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) break;  // the blank line that ends the head
      if (IsOws(line.front())) return "folded header line";
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return "header line without a colon";
      const std::string_view name = line.substr(0, colon);
      if (name.empty()) return "empty header name";
      for (char c : name) {
        if (!IsTokenChar(c)) return "bad character in a header name";
      }
      const std::string_view value = line.substr(colon + 1);
      for (char c : value) {
        if (!IsValueChar(c)) return "control character in a header value";
      }
      on_field(name, TrimOws(value));
    }
    return nullptr;
  }

 private:
  std::string_view start_;
  std::string_view fields_;
  std::size_t fields_begin_ = 0;
};

UpgradeRequest Reject(HttpStatus status, const char* reason) {
  UpgradeRequest r;
  r.response = status;
  r.reason = reason;
  return r;
}

const char* StatusText(HttpStatus status) {
  switch (status) {
    case HttpStatus::kSwitchingProtocols: return "Switching Protocols";
    case HttpStatus::kBadRequest: return "Bad Request";
    case HttpStatus::kNotFound: return "Not Found";
    case HttpStatus::kUpgradeRequired: return "Upgrade Required";
    case HttpStatus::kRequestHeaderFieldsTooLarge: return "Request Header Fields Too Large";
    case HttpStatus::kServiceUnavailable: return "Service Unavailable";
  }
  return nullptr;
}

// The length snprintf wrote into `out`, or 0 when it did not fit.
std::size_t Written(int n, std::span<char> out) {
  if (n < 0 || static_cast<std::size_t>(n) >= out.size()) return 0;
  return static_cast<std::size_t>(n);
}

}  // namespace

// ---- HttpHeadReader ------------------------------------------------------------------

std::size_t HttpHeadReader::Feed(ByteSpan data) {
  std::size_t used = 0;
  while (state_ == State::kReading && used < data.size()) {
    if (size_ == kMaxHandshakeSize) {
      state_ = State::kTooLarge;
      break;
    }
    const std::byte b = data[used++];
    buffer_[size_++] = b;
    if (b == std::byte{'\n'}) {
      if (line_length_ == 0 || (line_length_ == 1 && last_was_cr_)) state_ = State::kComplete;
      line_length_ = 0;
    } else {
      ++line_length_;
    }
    last_was_cr_ = b == std::byte{'\r'};
  }
  return used;
}

// ---- Server side --------------------------------------------------------------------

UpgradeRequest ParseUpgradeRequest(ByteSpan head) {
  if (head.size() > kMaxHandshakeSize) {
    return Reject(HttpStatus::kRequestHeaderFieldsTooLarge, "request head larger than 2048 bytes");
  }
  Head h;
  if (const char* e = h.Split(head)) return Reject(HttpStatus::kBadRequest, e);

  // request-line = method SP request-target SP HTTP-version
  const std::string_view line = h.start_line();
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Reject(HttpStatus::kBadRequest, "malformed request line");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (target.empty() || !IsVisible(target) || !IsVisible(version) || method.empty()) {
    return Reject(HttpStatus::kBadRequest, "malformed request line");
  }
  if (method != "GET") return Reject(HttpStatus::kBadRequest, "method must be GET");
  if (version != "HTTP/1.1") return Reject(HttpStatus::kBadRequest, "HTTP/1.1 required");

  UpgradeRequest r;
  r.path = target;
  int hosts = 0, keys = 0, versions = 0;
  bool upgrade = false, connection = false;
  std::string_view version_value;
  const char* e = h.ForEachField([&](std::string_view name, std::string_view value) {
    if (EqualsNoCase(name, "host")) {
      ++hosts;
      r.host = value;
    } else if (EqualsNoCase(name, "upgrade")) {
      upgrade = upgrade || ListHasToken(value, "websocket");
    } else if (EqualsNoCase(name, "connection")) {
      connection = connection || ListHasToken(value, "upgrade");
    } else if (EqualsNoCase(name, "sec-websocket-key")) {
      ++keys;
      r.key = value;
    } else if (EqualsNoCase(name, "sec-websocket-version")) {
      ++versions;
      version_value = value;
    } else if (EqualsNoCase(name, "origin")) {
      r.origin = value;
    }
  });
  if (e != nullptr) return Reject(HttpStatus::kBadRequest, e);

  if (hosts == 0) return Reject(HttpStatus::kBadRequest, "missing Host header");
  if (hosts > 1) return Reject(HttpStatus::kBadRequest, "more than one Host header");
  if (r.host.empty() || !IsVisible(r.host)) return Reject(HttpStatus::kBadRequest, "bad Host header");
  if (!upgrade) return Reject(HttpStatus::kBadRequest, "missing Upgrade: websocket");
  if (!connection) return Reject(HttpStatus::kBadRequest, "missing Connection: Upgrade");
  if (versions > 1) return Reject(HttpStatus::kBadRequest, "more than one Sec-WebSocket-Version header");
  if (versions == 0) return Reject(HttpStatus::kUpgradeRequired, "missing Sec-WebSocket-Version");
  if (version_value != "13") return Reject(HttpStatus::kUpgradeRequired, "unsupported Sec-WebSocket-Version");
  if (keys == 0) return Reject(HttpStatus::kBadRequest, "missing Sec-WebSocket-Key");
  if (keys > 1) return Reject(HttpStatus::kBadRequest, "more than one Sec-WebSocket-Key header");
  std::byte nonce[17];  // one more than needed, to see a key that decodes longer
  const Result<std::size_t> n = Base64Decode(r.key, nonce);
  if (!n.ok() || *n != 16) return Reject(HttpStatus::kBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64");

  r.response = HttpStatus::kSwitchingProtocols;
  r.reason = "";
  return r;
}

std::size_t WriteAcceptResponse(std::string_view accept_key, std::span<char> out) {
  if (!IsVisible(accept_key)) return 0;
  return Written(std::snprintf(out.data(), out.size(),
               "HTTP/1.1 101 Switching Protocols\r\n"
               "Upgrade: websocket\r\n"
               "Connection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %.*s\r\n"
               "\r\n",
               static_cast<int>(accept_key.size()), accept_key.data()), out);
}

std::size_t WriteRejectResponse(HttpStatus status, std::string_view reason, std::span<char> out) {
  const char* text = StatusText(status);
  if (text == nullptr || status == HttpStatus::kSwitchingProtocols) return 0;
  if (reason.find_first_of("\r\n") != std::string_view::npos || reason.size() > 0x7FFF) return 0;
  const bool upgrade = status == HttpStatus::kUpgradeRequired;
  // The body is the reason and a line feed, so that a terminal shows it whole.
  return Written(std::snprintf(out.data(), out.size(),
               "HTTP/1.1 %u %s\r\n"
               "%s"
               "Connection: %s\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Length: %u\r\n"
               "\r\n"
               "%.*s\n",
               static_cast<unsigned>(status), text,
               upgrade ? "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n" : "",
               upgrade ? "Upgrade, close" : "close", static_cast<unsigned>(reason.size() + 1),
               static_cast<int>(reason.size()), reason.data()), out);
}

// ---- Client side --------------------------------------------------------------------

ClientKey MakeClientKey(std::span<const std::byte, 16> nonce) {
  char text[kClientKeyLength];
  const std::size_t n = Base64Encode(nonce, text);
  return ClientKey(std::string_view(text, n));
}

std::size_t WriteUpgradeRequest(std::string_view host, std::string_view path, std::string_view key,
                                std::span<char> out) {
  if (host.empty() || !IsVisible(host) || path.empty() || path.front() != '/' || !IsVisible(path) ||
      key.empty() || !IsVisible(key)) {
    return 0;
  }
  if (host.size() > kMaxHandshakeSize || path.size() > kMaxHandshakeSize || key.size() > kMaxHandshakeSize) return 0;
  return Written(std::snprintf(out.data(), out.size(),
               "GET %.*s HTTP/1.1\r\n"
               "Host: %.*s\r\n"
               "Upgrade: websocket\r\n"
               "Connection: Upgrade\r\n"
               "Sec-WebSocket-Key: %.*s\r\n"
               "Sec-WebSocket-Version: 13\r\n"
               "\r\n",
               static_cast<int>(path.size()), path.data(), static_cast<int>(host.size()), host.data(),
               static_cast<int>(key.size()), key.data()), out);
}

Result<HttpStatusLine> ParseStatusLine(ByteSpan head) {
  std::string_view line = AsText(head);
  const std::size_t lf = line.find('\n');
  if (lf == std::string_view::npos) return InvalidArgument("response has no complete status line");
  line = line.substr(0, lf);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // status-line = HTTP-version SP 3DIGIT SP reason-phrase; the reason may be empty,
  // and some servers leave out the space before an empty one.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ') {
    return InvalidArgument("malformed status line");
  }
  HttpStatusLine s;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return InvalidArgument("malformed status line");
    s.code = static_cast<std::uint16_t>(s.code * 10 + (line[i] - '0'));
  }
  if (line.size() > 12) {
    if (line[12] != ' ') return InvalidArgument("malformed status line");
    s.reason = line.substr(13);
    for (char c : s.reason) {
      if (!IsValueChar(c)) return InvalidArgument("malformed status line");
    }
  }
  return s;
}

Status CheckUpgradeResponse(ByteSpan head, std::string_view expected_accept) {
  Head h;
  if (const char* e = h.Split(head)) return InvalidArgument(e);
  const Result<HttpStatusLine> status = ParseStatusLine(head);
  if (!status.ok()) return status.status();
  if (status->code != 101) return Unavailable("server refused the upgrade (status not 101)");
  if (h.start_line().substr(0, 9) != "HTTP/1.1 ") return InvalidArgument("101 response not HTTP/1.1");

  bool upgrade = false, connection = false, extension = false, protocol = false;
  int accepts = 0;
  std::string_view accept;
  const char* e = h.ForEachField([&](std::string_view name, std::string_view value) {
    if (EqualsNoCase(name, "upgrade")) {
      upgrade = upgrade || ListHasToken(value, "websocket");
    } else if (EqualsNoCase(name, "connection")) {
      connection = connection || ListHasToken(value, "upgrade");
    } else if (EqualsNoCase(name, "sec-websocket-accept")) {
      ++accepts;
      accept = value;
    } else if (EqualsNoCase(name, "sec-websocket-extensions")) {
      extension = true;
    } else if (EqualsNoCase(name, "sec-websocket-protocol")) {
      protocol = true;
    }
  });
  if (e != nullptr) return InvalidArgument(e);
  if (!upgrade) return InvalidArgument("response lacks Upgrade: websocket");
  if (!connection) return InvalidArgument("response lacks Connection: Upgrade");
  if (accepts == 0) return InvalidArgument("response lacks Sec-WebSocket-Accept");
  if (accepts > 1) return InvalidArgument("more than one Sec-WebSocket-Accept header");
  if (accept != expected_accept) return InvalidArgument("Sec-WebSocket-Accept does not match the key");
  if (extension) return InvalidArgument("server chose an extension the client did not offer");
  if (protocol) return InvalidArgument("server chose a subprotocol the client did not offer");
  return Status::Ok();
}

}  // namespace pmu::proto::websocket
