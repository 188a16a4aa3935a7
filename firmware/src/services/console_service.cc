#include "pmu/firmware/services/console_service.h"

#include <algorithm>
#include <cstdarg>
#include <cstring>

#include "lwip/init.h"
#include "mbedtls/version.h"
#include "pmu/base/civil_time.h"
#include "pmu/firmware/device.h"
#include "pmu/port/tls.h"
#include "pmu/port/tls_identity.h"

namespace pmu::firmware {
namespace {

constexpr const char* kTag = "console";
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

Status ConsoleService::Start(std::uint16_t port, port::TlsServer& tls, std::uint32_t tls_handshake_ms) {
  if (tls.auth() != port::ClientAuth::kRequired) return InvalidArgument("the console requires client certificates");
  port::ListenOptions options;
  options.tag = kTag;
  options.port = port;
  options.max_sessions = kMaxConsoleSessions;
  options.tls = &tls;
  options.tls_slots = port::TlsSlots::kReserved;
  options.tls_handshake_ms = tls_handshake_ms;
  PMU_TRY(listener_.Listen(options));
  PMU_LOG_INFO(ctx_.log, kTag, "listening on TCP port %u (mutual TLS, up to %u sessions)", port,
               static_cast<unsigned>(kMaxConsoleSessions));
  return Status::Ok();
}

// ---- session ------------------------------------------------------------------------

ConsoleSession::ConsoleSession(ConsoleService& service, port::Connection& connection)
    : service_(service), connection_(connection), last_activity_ms_(service.ctx_.clock.MonotonicMs()) {}

void ConsoleSession::ProcessInput() {
  // Handling a line answers it through Pump, which comes back here for the next line:
  // that call returns at once and the loop below goes on, so a segment of many lines
  // (a pasted certificate) neither recurses line by line nor sees a line twice.
  if (processing_ || ended_) return;
  last_activity_ms_ = service_.ctx_.clock.MonotonicMs();
  processing_ = true;
  ProcessLines();
  processing_ = false;
}

void ConsoleSession::ProcessLines() {
  // One command at a time: the next line is read once the answer to this one is out.
  // Input is consumed (and so acknowledged) only as it is read, so a client that
  // floods commands is slowed down by its own window.
  while (status_sent_ && output_ == Output::kNone && !close_after_ && !ended_) {
    const ByteSpan data = connection_.Peek();
    if (data.empty()) {
      if (connection_.peer_closed()) Close();
      return;
    }
    std::size_t used = 0;
    if (skipping_) {
      // The rest of an over-long line: drop it up to its line feed.
      const void* nl = std::memchr(data.data(), '\n', data.size());
      used = nl ? static_cast<std::size_t>(static_cast<const std::byte*>(nl) - data.data()) + 1 : data.size();
      if (nl) skipping_ = false;
    } else {
      used = reader_.Feed(data);
    }
    connection_.Consume(used);
    if (reader_.state() == proto::LineState::kComplete) {
      HandleLine(reader_.text());
      reader_.Reset();
    } else if (reader_.state() == proto::LineState::kTooLong) {
      reader_.Reset();
      skipping_ = true;
      Fail("line too long (at most %u bytes)", static_cast<unsigned>(proto::kMaxConsoleLine));
      Pump();
    }
  }
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

void ConsoleSession::HandleLine(std::string_view line) {
  const char* peer = connection_.peer().c_str();
  if (!authenticated_) {
    // The handshake is over once a line arrives: whose certificate is it?
    FixedString<120> why;
    const Result<port::TlsPeer> client = connection_.TlsClient(&why);
    if (!client.ok()) {
      PMU_LOG_WARN(service_.ctx_.log, kTag, "%s refused: %s", peer, why.c_str());
      Fail("client certificate not accepted: %s", why.c_str());
      close_after_ = true;
      Pump();
      return;
    }
    authenticated_ = true;
    client_ = client->common_name;
    PMU_LOG_INFO(service_.ctx_.log, kTag, "%s opened by %s (%s, %s)", peer, client_.c_str(), client->version,
                 client->ciphersuite);
  }
  if (pem_input_) {
    // Lines of the certificate being pasted.
    text_.Append(line);
    text_.Append('\n');
    if (line == kPemEnd || text_.truncated()) FinishPemInput();
    Pump();
    return;
  }
  const Result<proto::ConsoleLine> parsed = proto::ParseConsoleLine(line);
  ++service_.counters_.commands;
  // The audit trail: every command with the client's name (secret values masked).
  if (parsed.ok() && parsed->word(0) == "config" && parsed->word(1) == "set" &&
      IsSecretConfigKey(parsed->word(2))) {
    PMU_LOG_INFO(service_.ctx_.log, kTag, "%s %s> config set %.*s (value hidden)", client_.c_str(), peer,
                 static_cast<int>(parsed->word(2).size()), parsed->word(2).data());
  } else {
    PMU_LOG_INFO(service_.ctx_.log, kTag, "%s %s> %.*s", client_.c_str(), peer,
                 static_cast<int>(std::min<std::size_t>(line.size(), 120)), line.data());
  }
  if (!parsed.ok()) {
    Fail("%s", parsed.status().message());
  } else if (parsed->count == 0) {
    Respond(Output::kNone);  // an empty line: just OK
  } else {
    Dispatch(*parsed);
  }
  Pump();
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
    PMU_LOG_INFO(service_.ctx_.log, kTag, "%s applied the measurement configuration (CFGCNT %u)",
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
    PMU_LOG_INFO(service_.ctx_.log, kTag, "%s saved the configuration (%u bytes)", client_.c_str(),
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
    PMU_LOG_INFO(service_.ctx_.log, kTag, "%s made a new key pair and CSR", client_.c_str());
    Respond(Output::kText);
  } else if (w0 == "cert" && w1 == "install" && cmd.count == 2) {
    pem_input_ = true;
    text_.clear();
    // No answer until the END line: the pasted certificate belongs to this command.
  } else if (w0 == "reboot" && cmd.count == 1) {
    PMU_LOG_WARN(service_.ctx_.log, kTag, "%s asked for a reboot", client_.c_str());
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
    PMU_LOG_WARN(service_.ctx_.log, kTag, "%s: certificate not installed: %s", client_.c_str(), why.c_str());
    Fail("certificate not installed: %s", why.c_str());
    return;
  }
  PMU_LOG_INFO(service_.ctx_.log, kTag, "%s installed a new device certificate", client_.c_str());
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

void ConsoleSession::Pump() {
  if (ended_) return;
  bool wrote = false;
  while (!status_sent_) {
    // Lines are produced by position, so a batch that cannot be queued is undone by
    // putting the position back, and produced again when there is room.
    const std::size_t batch_index = index_, batch_text_pos = text_pos_;
    const std::size_t room = std::min<std::size_t>(connection_.SendRoom(/*bulk=*/false), kBatch);
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
    if (used == 0) break;  // no room now: OnSent resumes
    const Status s = connection_.Write(AsBytes(g_batch, used), /*more=*/false);
    if (s.code() == StatusCode::kResourceExhausted) {
      index_ = batch_index;
      text_pos_ = batch_text_pos;
      break;  // retried from OnSent or OnTick
    }
    if (!s.ok()) {
      PMU_LOG_WARN(service_.ctx_.log, kTag, "%s aborted: write failed: %s", connection_.peer().c_str(), s.message());
      ended_ = true;
      connection_.Abort();
      return;
    }
    wrote = true;
    if (status_in_batch) {
      status_sent_ = true;
      output_ = Output::kNone;
    }
  }
  if (wrote) connection_.Flush();
  if (status_sent_ && close_after_) {
    Close();
  } else if (status_sent_) {
    ProcessInput();
  }
}

void ConsoleSession::Close() {
  if (ended_) return;
  ended_ = true;
  PMU_LOG_INFO(service_.ctx_.log, kTag, "%s %s closed", client_.empty() ? "-" : client_.c_str(),
               connection_.peer().c_str());
  connection_.Close();  // after close_notify, which the connection layer sends
}

void ConsoleSession::OnSent() {
  last_activity_ms_ = service_.ctx_.clock.MonotonicMs();
  Pump();
}

void ConsoleSession::OnTick() {
  // An operator may think for a while: ten times the TCP idle timeout.
  const std::uint64_t limit_ms = std::uint64_t{service_.ctx_.config.idle_timeout_s} * 10'000;
  if (service_.ctx_.clock.MonotonicMs() - last_activity_ms_ >= limit_ms) {
    PMU_LOG_WARN(service_.ctx_.log, kTag, "%s aborted: idle timeout", connection_.peer().c_str());
    ended_ = true;
    connection_.Abort();
    return;
  }
  Pump();
}

void ConsoleSession::OnEnded(const char* why) {
  PMU_LOG_INFO(service_.ctx_.log, kTag, "%s %s ended%s: %s", client_.empty() ? "-" : client_.c_str(),
               connection_.peer().c_str(),
               authenticated_ ? "" : " before a command (handshake refused or abandoned)", why);
}

}  // namespace pmu::firmware
