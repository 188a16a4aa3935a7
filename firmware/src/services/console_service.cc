#include "pmu/firmware/services/console_service.h"

#include <algorithm>
#include <cstdarg>
#include <cstring>

#include "altcp_util.h"
#include "pmu/port/lwip_port.h"
#include "lwip/init.h"
#include "lwip/tcp.h"
#include "mbedtls/version.h"
#include "pmu/base/civil_time.h"
#include "pmu/firmware/device.h"
#include "pmu/port/lwip_status.h"
#include "pmu/port/tls_identity.h"

namespace pmu::firmware {
namespace {

constexpr std::uint8_t kPollInterval = 2;  // 1 s
constexpr std::size_t kBatch = 1200;       // bytes of response lines per write (one TLS record)
char g_batch[kBatch];                      // main loop only

constexpr std::string_view kPemEnd = "-----END CERTIFICATE-----";

struct HelpEntry {
  const char* usage;
  const char* what;
};
constexpr HelpEntry kHelp[] = {
    {"help", "this list"},
    {"version", "firmware and library versions"},
    {"uptime", "time since boot and the boot count"},
    {"date", "the device's UTC date and time, and its clock offset"},
    {"interfaces", "MAC address, link, IPv4 and IPv6 addresses"},
    {"stats", "lwIP pools and heap, link and service counters, TLS arena"},
    {"log [N]", "the last N log records (default 20, at most 64)"},
    {"config show", "every configuration key; '*' marks a change not yet applied"},
    {"config set KEY VALUE", "change a key (checked now; 'config save' keeps it, 'reboot' applies it)"},
    {"config apply", "apply the changed c37.* and waveform.* keys now (not the C37 ports)"},
    {"config save", "write the configuration to storage"},
    {"cert info", "the device certificate and the CA it trusts"},
    {"cert csr", "make a new key pair and print its certificate signing request"},
    {"cert install", "then paste the signed certificate (PEM); new connections use it"},
    {"reboot", "restart the device"},
    {"exit", "end this session"},
};

}  // namespace

// ---- service ------------------------------------------------------------------------

Status ConsoleService::Start(std::uint16_t port, port::TlsServer& tls) {
  if (tls.auth() != port::ClientAuth::kRequired) return InvalidArgument("the console requires client certificates");
  tls_ = &tls;
  pool_.set_limit(kMaxConsoleSessions);
  Result<altcp_pcb*> listener = ListenDualStack(tls.allocator(), port, this, &ConsoleService::OnAccept);
  if (!listener.ok()) return listener.status();
  listener_ = *listener;
  PMU_LOG_INFO(ctx_.log, "console", "listening on TCP port %u (mutual TLS, up to %u sessions)", port,
               static_cast<unsigned>(kMaxConsoleSessions));
  return Status::Ok();
}

err_t ConsoleService::OnAccept(void* arg, altcp_pcb* pcb, err_t err) {
  auto* self = static_cast<ConsoleService*>(arg);
  if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
  const bool entered = port::TlsSessionGate::TryEnter();
  ConsoleSession* session = entered ? self->pool_.Acquire(*self, pcb) : nullptr;
  if (session == nullptr) {
    if (entered) port::TlsSessionGate::Leave();
    ++self->counters_.refused;
    PMU_LOG_WARN(self->ctx_.log, "console", "%s refused: no room for another TLS session",
                 RemotePeer(pcb).c_str());
    altcp_arg(pcb, nullptr);
    return CloseOrAbort(pcb);
  }
  session->tls_entered_ = true;
  ++self->counters_.sessions;
  return ERR_OK;
}

// ---- session ------------------------------------------------------------------------

ConsoleSession::ConsoleSession(ConsoleService& service, altcp_pcb* pcb)
    : service_(service), pcb_(pcb), peer_(RemotePeer(pcb)) {
  last_activity_ms_ = service_.ctx_.clock.MonotonicMs();
  altcp_arg(pcb_, this);
  altcp_recv(pcb_, &ConsoleSession::OnRecv);
  altcp_sent(pcb_, &ConsoleSession::OnSent);
  altcp_err(pcb_, &ConsoleSession::OnError);
  altcp_poll(pcb_, &ConsoleSession::OnPoll, kPollInterval);
}

ConsoleSession::~ConsoleSession() {
  if (pending_ != nullptr) pbuf_free(pending_);
}

void ConsoleSession::Release() {
  if (tls_entered_) {
    port::TlsSessionGate::Leave();
    tls_entered_ = false;
  }
  if (pcb_ != nullptr) {
    DetachCallbacks(pcb_);
    pcb_ = nullptr;
  }
  service_.pool_.Release(this);
}

err_t ConsoleSession::OnRecv(void* arg, altcp_pcb*, pbuf* p, err_t err) {
  auto* self = static_cast<ConsoleSession*>(arg);
  if (self == nullptr) {
    if (p != nullptr) pbuf_free(p);
    return ERR_OK;
  }
  if (p == nullptr) {
    self->peer_closed_ = true;
    return ToErr(self->ProcessInput());
  }
  if (err != ERR_OK) {
    pbuf_free(p);
    return ERR_OK;
  }
  self->last_activity_ms_ = self->service_.ctx_.clock.MonotonicMs();
  // Held until read line by line; acknowledged (recved) as it is read, so a client
  // that floods commands is slowed down by its own window.
  if (self->pending_ == nullptr) {
    self->pending_ = p;
    self->pending_offset_ = 0;
  } else {
    pbuf_cat(self->pending_, p);
  }
  return ToErr(self->ProcessInput());
}

ConsoleSession::Fate ConsoleSession::ProcessInput() {
  // Handling a line answers it through Pump, which comes back here for the next line:
  // that call returns at once and the loop below goes on, so a segment of many lines
  // (a pasted certificate) neither recurses line by line nor sees a line twice.
  if (processing_) return Fate::kAlive;
  processing_ = true;
  const Fate f = ProcessLines();
  if (f == Fate::kAlive) processing_ = false;  // otherwise the session is gone
  return f;
}

ConsoleSession::Fate ConsoleSession::ProcessLines() {
  // One command at a time: the next line is read once the answer to this one is out.
  while (status_sent_ && output_ == Output::kNone && !close_after_) {
    if (pending_ == nullptr) {
      if (peer_closed_) return Close();
      return Fate::kAlive;
    }
    const std::size_t avail = pending_->len - pending_offset_;
    ByteSpan data = AsBytes(static_cast<const std::byte*>(pending_->payload) + pending_offset_, avail);
    std::size_t used = 0;
    if (skipping_) {
      // The rest of an over-long line: drop it up to its line feed.
      const void* nl = std::memchr(data.data(), '\n', data.size());
      used = nl ? static_cast<std::size_t>(static_cast<const std::byte*>(nl) - data.data()) + 1 : data.size();
      if (nl) skipping_ = false;
    } else {
      used = reader_.Feed(data);
    }
    pending_offset_ = static_cast<std::uint16_t>(pending_offset_ + used);
    altcp_recved(pcb_, static_cast<u16_t>(used));
    if (pending_offset_ == pending_->len) {
      pbuf* next = pending_->next;
      if (next != nullptr) pbuf_ref(next);
      pbuf_free(pending_);  // frees only the first pbuf now
      pending_ = next;
      pending_offset_ = 0;
    }
    if (reader_.state() == proto::LineState::kComplete) {
      const std::string_view line = reader_.text();
      const Fate f = HandleLine(line);
      reader_.Reset();
      if (f != Fate::kAlive) return f;
    } else if (reader_.state() == proto::LineState::kTooLong) {
      reader_.Reset();
      skipping_ = true;
      Fail("line too long (at most %u bytes)", static_cast<unsigned>(proto::kMaxConsoleLine));
      const Fate f = Pump();
      if (f != Fate::kAlive) return f;
    }
  }
  return Fate::kAlive;
}

void ConsoleSession::Respond(Output kind, std::size_t count) {
  output_ = kind;
  index_ = 0;
  count_ = count;
  text_pos_ = 0;
  status_sent_ = false;
  status_.clear();
  status_.Append("OK");
}

void ConsoleSession::Fail(const char* format, ...) {
  Respond(Output::kNone);
  status_.clear();
  status_.Append("ERROR ");
  va_list args;
  va_start(args, format);
  status_.VFormat(format, args);
  va_end(args);
  ++service_.counters_.errors;
}

ConsoleSession::Fate ConsoleSession::HandleLine(std::string_view line) {
  if (!authenticated_) {
    // The handshake is over once a line arrives: whose certificate is it?
    FixedString<120> why;
    const Result<port::TlsPeer> peer = service_.tls_->CheckPeer(pcb_, &why);
    if (!peer.ok()) {
      PMU_LOG_WARN(service_.ctx_.log, "console", "%s refused: %s", peer_.c_str(), why.c_str());
      Fail("client certificate not accepted: %s", why.c_str());
      close_after_ = true;
      return Pump();
    }
    authenticated_ = true;
    client_ = peer->common_name;
    PMU_LOG_INFO(service_.ctx_.log, "console", "%s opened by %s (%s, %s)", peer_.c_str(), client_.c_str(),
                 peer->version, peer->ciphersuite);
  }
  if (pem_input_) {
    // Lines of the certificate being pasted.
    text_.Append(line);
    text_.Append('\n');
    if (line == kPemEnd || text_.truncated()) FinishPemInput();
    return Pump();
  }
  const Result<proto::ConsoleLine> parsed = proto::ParseConsoleLine(line);
  ++service_.counters_.commands;
  // The audit trail: every command with the client's name (secret values masked).
  if (parsed.ok() && parsed->word(0) == "config" && parsed->word(1) == "set" &&
      IsSecretConfigKey(parsed->word(2))) {
    PMU_LOG_INFO(service_.ctx_.log, "console", "%s %s> config set %.*s (value hidden)", client_.c_str(),
                 peer_.c_str(), static_cast<int>(parsed->word(2).size()), parsed->word(2).data());
  } else {
    PMU_LOG_INFO(service_.ctx_.log, "console", "%s %s> %.*s", client_.c_str(), peer_.c_str(),
                 static_cast<int>(std::min<std::size_t>(line.size(), 120)), line.data());
  }
  if (!parsed.ok()) {
    Fail("%s", parsed.status().message());
  } else if (parsed->count == 0) {
    Respond(Output::kNone);  // an empty line: just OK
  } else {
    Dispatch(*parsed);
  }
  return Pump();
}

void ConsoleSession::Dispatch(const proto::ConsoleLine& cmd) {
  Device& device = service_.device_;
  const std::string_view w0 = cmd.word(0), w1 = cmd.word(1);
  auto expect_words = [&](std::size_t n) {
    if (cmd.count == n) return true;
    Fail("'%.*s' takes %u word%s; try 'help'", static_cast<int>(cmd.text.size()), cmd.text.data(),
         static_cast<unsigned>(n), n == 1 ? "" : "s");
    return false;
  };
  if (w0 == "help") {
    if (expect_words(1)) Respond(Output::kHelp);
  } else if (w0 == "version") {
    if (!expect_words(1)) return;
    text_.clear();
    text_.Format("PMU firmware %s on %s\nlwIP %s, %s\n", kFirmwareVersion, device.board_name(), LWIP_VERSION_STRING,
                 MBEDTLS_VERSION_STRING_FULL);
    Respond(Output::kText);
  } else if (w0 == "uptime") {
    if (!expect_words(1)) return;
    text_.clear();
    text_.Format("up %llu s, boot %lu\n", static_cast<unsigned long long>(device.UptimeMs() / 1000),
                 static_cast<unsigned long>(device.boot_count()));
    Respond(Output::kText);
  } else if (w0 == "date") {
    if (!expect_words(1)) return;
    text_.clear();
    text_.Format("%s (clock offset %+lld s)\n", FormatIso8601(device.clock().UtcNs(), 6).c_str(),
                 static_cast<long long>(device.clock().offset_ns() / 1'000'000'000));
    Respond(Output::kText);
  } else if (w0 == "interfaces") {
    if (expect_words(1)) Respond(Output::kInterfaces);
  } else if (w0 == "stats") {
    if (expect_words(1)) Respond(Output::kStats);
  } else if (w0 == "log") {
    std::size_t n = 20;
    if (cmd.count == 2) {
      n = 0;
      for (char c : w1) {
        if (c < '0' || c > '9' || n > 1000) {
          Fail("log takes a number of records, like 'log 10'");
          return;
        }
        n = n * 10 + static_cast<std::size_t>(c - '0');
      }
    } else if (!expect_words(1)) {
      return;
    }
    n = std::min<std::size_t>(n, Logger::kRingRecords);
    // Show the records that exist now, oldest first, as of this moment.
    const std::uint32_t logged = service_.ctx_.log.records_logged();
    const std::size_t available = std::min<std::size_t>(logged, Logger::kRingRecords);
    n = std::min(n, available);
    log_first_ = logged - static_cast<std::uint32_t>(n);
    Respond(Output::kLog, n);
  } else if (w0 == "config" && w1 == "show" && cmd.count == 2) {
    Respond(Output::kConfig);
  } else if (w0 == "config" && w1 == "set") {
    if (cmd.count < 4) {
      Fail("usage: config set KEY VALUE");
      return;
    }
    const std::string_view key = cmd.word(2);
    const std::string_view value = cmd.RestFrom(3);
    DeviceConfig trial = device.candidate_config();
    ConfigError e = SetConfigValue(trial, key, value);
    if (e.ok()) e = ValidateConfig(trial);
    if (!e.ok()) {
      if (e.key == nullptr) {
        Fail("unknown key '%.*s'; 'config show' lists them", static_cast<int>(key.size()), key.data());
      } else {
        Fail("%s: %s", e.key, e.reason);
      }
      return;
    }
    device.candidate_config() = trial;
    text_.clear();
    text_.Format("%.*s changed: 'config save' keeps it, 'reboot' applies it\n", static_cast<int>(key.size()),
                 key.data());
    Respond(Output::kText);
  } else if (w0 == "config" && w1 == "apply" && cmd.count == 2) {
    // The measurement keys take effect while running, as pmu-sim's SIGHUP does; the
    // rest of the candidate stays pending until a reboot.
    const DeviceConfig& next = device.candidate_config();
    const Status s = device.ApplyMeasurementConfig(next.c37, next.waveform);
    if (!s.ok()) {
      Fail("not applied: %s", s.message());
      return;
    }
    PMU_LOG_INFO(service_.ctx_.log, "console", "%s applied the measurement configuration (CFGCNT %u)",
                 client_.c_str(), static_cast<unsigned>(device.c37_config_count()));
    text_.clear();
    text_.Format("c37.* and waveform.* applied (CFGCNT %u); other changes wait for 'reboot'\n",
                 static_cast<unsigned>(device.c37_config_count()));
    Respond(Output::kText);
  } else if (w0 == "config" && w1 == "save" && cmd.count == 2) {
    std::size_t bytes = 0;
    const Status s = device.SaveCandidateConfig(&bytes);
    if (!s.ok()) {
      Fail("configuration not saved: %s", s.message());
      return;
    }
    PMU_LOG_INFO(service_.ctx_.log, "console", "%s saved the configuration (%u bytes)", client_.c_str(),
                 static_cast<unsigned>(bytes));
    text_.clear();
    text_.Format("saved %u bytes; in effect after 'reboot'\n", static_cast<unsigned>(bytes));
    Respond(Output::kText);
  } else if (w0 == "cert" && w1 == "info" && cmd.count == 2) {
    Respond(Output::kCertInfo);
  } else if (w0 == "cert" && w1 == "csr" && cmd.count == 2) {
    const Status s = device.MakeCsr(text_);
    if (!s.ok()) {
      Fail("no CSR: %s", s.message());
      return;
    }
    PMU_LOG_INFO(service_.ctx_.log, "console", "%s made a new key pair and CSR", client_.c_str());
    Respond(Output::kText);
  } else if (w0 == "cert" && w1 == "install" && cmd.count == 2) {
    pem_input_ = true;
    text_.clear();
    // No answer until the END line: the pasted certificate belongs to this command.
  } else if (w0 == "reboot" && cmd.count == 1) {
    PMU_LOG_WARN(service_.ctx_.log, "console", "%s asked for a reboot", client_.c_str());
    text_.clear();
    text_.Append("rebooting\n");
    Respond(Output::kText);
    close_after_ = true;
    device.RequestReboot();
  } else if ((w0 == "exit" || w0 == "quit") && cmd.count == 1) {
    Respond(Output::kNone);
    close_after_ = true;
  } else if (w0 == "config" || w0 == "cert") {
    Fail("unknown command '%.*s'; try 'help'", static_cast<int>(cmd.text.size()), cmd.text.data());
  } else {
    Fail("unknown command '%.*s'; try 'help'", static_cast<int>(w0.size()), w0.data());
  }
}

void ConsoleSession::FinishPemInput() {
  pem_input_ = false;
  FixedString<160> why;
  if (text_.truncated()) {
    Fail("certificate too long (at most %u bytes)", static_cast<unsigned>(decltype(text_)::capacity()));
    return;
  }
  const Status s = service_.device_.InstallCertificate(text_.view(), &why);
  if (!s.ok()) {
    PMU_LOG_WARN(service_.ctx_.log, "console", "%s: certificate not installed: %s", client_.c_str(), why.c_str());
    Fail("certificate not installed: %s", why.c_str());
    return;
  }
  PMU_LOG_INFO(service_.ctx_.log, "console", "%s installed a new device certificate", client_.c_str());
  text_.clear();
  text_.Append("installed; new connections use it\n");
  Respond(Output::kText);
}

bool ConsoleSession::NextLine(Line& out) {
  Device& device = service_.device_;
  const std::size_t i = index_++;
  switch (output_) {
    case Output::kNone:
      return false;
    case Output::kText: {
      if (text_pos_ >= text_.size()) return false;
      const std::string_view rest = text_.view().substr(text_pos_);
      const std::size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      out.Append(line);
      text_pos_ += line.size() + (nl == std::string_view::npos ? 0 : 1);
      return true;
    }
    case Output::kHelp:
      if (i >= sizeof(kHelp) / sizeof(kHelp[0])) return false;
      out.Format("%-22s %s", kHelp[i].usage, kHelp[i].what);
      return true;
    case Output::kStats: {
      Device::ReportLine line;
      if (!device.StatsLine(i, line)) return false;
      out.Append(line.view());
      return true;
    }
    case Output::kInterfaces: {
      Device::ReportLine line;
      if (!device.InterfaceLine(i, line)) return false;
      out.Append(line.view());
      return true;
    }
    case Output::kLog: {
      if (i >= count_) return false;
      const std::uint32_t wanted = log_first_ + static_cast<std::uint32_t>(i);
      bool found = false;
      service_.ctx_.log.ForEachRecent(Logger::kRingRecords, [&](const LogRecord& r) {
        if (r.sequence == wanted) {
          out.Append(Logger::FormatLine(r).view());
          found = true;
        }
      });
      if (!found) out.Format("(record %lu was overwritten meanwhile)", static_cast<unsigned long>(wanted));
      return true;
    }
    case Output::kConfig: {
      if (i >= ConfigKeyCount()) return false;
      ConfigValueText candidate, running;
      ConfigValueAt(device.candidate_config(), i, candidate, false);
      ConfigValueAt(device.config(), i, running, false);
      const bool differs = candidate.view() != running.view();
      out.Format("%s%s = %s", differs ? "*" : "", ConfigKeyName(i), candidate.c_str());
      if (differs) out.Format("   (running: %s)", running.c_str());
      return true;
    }
    case Output::kCertInfo: {
      if (!device.tls_ready()) return false;
      FixedString<240> line;
      if (i == 0) {
        out.Append("device certificate:");
        return true;
      }
      if (i >= 1 && i <= 5) {
        port::CertificateLine(device.console_tls().certificate(), i - 1, &line);
        out.Format("  %s", line.c_str());
        return true;
      }
      if (i == 6) {
        out.Append("trusted CA:");
        return true;
      }
      if (i >= 7 && i <= 10) {
        port::CertificateLine(device.console_tls().trust_anchor(), i - 7, &line);
        out.Format("  %s", line.c_str());
        return true;
      }
      return false;
    }
  }
  return false;
}

ConsoleSession::Fate ConsoleSession::Pump() {
  if (pcb_ == nullptr) return Fate::kAlive;
  bool wrote = false;
  while (!status_sent_) {
    // Lines are produced by position, so a batch that cannot be queued is undone by
    // putting the position back, and produced again when there is room.
    const std::size_t batch_index = index_, batch_text_pos = text_pos_;
    const std::size_t room = std::min<std::size_t>(port::SendRoom(pcb_, /*bulk=*/false), kBatch);
    std::size_t used = 0;
    bool status_in_batch = false;
    for (;;) {
      const std::size_t line_index = index_, line_text_pos = text_pos_;
      Line line;
      bool is_status = false;
      if (!NextLine(line)) {
        line.clear();
        line.Append(status_.view());
        is_status = true;
      }
      if (used + line.size() + 1 > room) {
        index_ = line_index;
        text_pos_ = line_text_pos;
        break;
      }
      std::memcpy(g_batch + used, line.c_str(), line.size());
      used += line.size();
      g_batch[used++] = '\n';
      if (is_status) {
        status_in_batch = true;
        break;
      }
    }
    if (used == 0) break;  // no room now: sent() resumes
    const err_t err = altcp_write(pcb_, g_batch, static_cast<u16_t>(used), TCP_WRITE_FLAG_COPY);
    if (err == ERR_MEM) {
      index_ = batch_index;
      text_pos_ = batch_text_pos;
      break;  // retried from sent() or poll()
    }
    if (err != ERR_OK) return Abort("write failed");
    wrote = true;
    if (status_in_batch) {
      status_sent_ = true;
      output_ = Output::kNone;
    }
  }
  if (wrote) altcp_output(pcb_);
  if (status_sent_ && close_after_) return Close();
  if (status_sent_) return ProcessInput();
  return Fate::kAlive;
}

ConsoleSession::Fate ConsoleSession::Close() {
  if (!port::TlsCloseNotify(pcb_).ok()) {
    close_after_ = true;
    return Fate::kAlive;  // the alert waits for room: retried from sent() and poll()
  }
  altcp_pcb* pcb = pcb_;
  DetachCallbacks(pcb);
  pcb_ = nullptr;
  if (CloseOrAbort(pcb) != ERR_OK) {
    Release();
    return Fate::kAborted;
  }
  PMU_LOG_INFO(service_.ctx_.log, "console", "%s %s closed", client_.empty() ? "-" : client_.c_str(),
               peer_.c_str());
  Release();
  return Fate::kClosed;
}

ConsoleSession::Fate ConsoleSession::Abort(const char* why) {
  PMU_LOG_WARN(service_.ctx_.log, "console", "%s aborted: %s", peer_.c_str(), why);
  altcp_pcb* pcb = pcb_;
  pcb_ = nullptr;
  DetachAndAbort(pcb);
  Release();
  return Fate::kAborted;
}

err_t ConsoleSession::OnSent(void* arg, altcp_pcb*, u16_t) {
  auto* self = static_cast<ConsoleSession*>(arg);
  if (self == nullptr) return ERR_OK;
  self->last_activity_ms_ = self->service_.ctx_.clock.MonotonicMs();
  if (self->close_after_ && self->status_sent_) return ToErr(self->Close());
  return ToErr(self->Pump());
}

err_t ConsoleSession::OnPoll(void* arg, altcp_pcb*) {
  auto* self = static_cast<ConsoleSession*>(arg);
  if (self == nullptr) return ERR_OK;
  // An operator may think for a while: ten times the TCP idle timeout.
  const std::uint64_t limit_ms = std::uint64_t{self->service_.ctx_.config.idle_timeout_s} * 10'000;
  if (self->service_.ctx_.clock.MonotonicMs() - self->last_activity_ms_ >= limit_ms) {
    return ToErr(self->Abort("idle timeout"));
  }
  if (self->close_after_ && self->status_sent_) return ToErr(self->Close());
  return ToErr(self->Pump());
}

void ConsoleSession::OnError(void* arg, err_t err) {
  auto* self = static_cast<ConsoleSession*>(arg);
  if (self == nullptr) return;
  // A failed TLS handshake: let its alert reach the client (see TlsLetAlertOut).
  if (err == ERR_CLSD) port::TlsLetAlertOut(self->pcb_);
  self->pcb_ = nullptr;
  PMU_LOG_INFO(self->service_.ctx_.log, "console", "%s %s ended%s: %s",
               self->client_.empty() ? "-" : self->client_.c_str(), self->peer_.c_str(),
               self->authenticated_ ? "" : " before a command (handshake refused or abandoned)",
               port::FromLwipErr(err).message());
  self->Release();
}

}  // namespace pmu::firmware
