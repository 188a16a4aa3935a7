#include "pmu/firmware/services/console_service.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstring>

#include "pmu/base/civil_time.h"
#include "pmu/firmware/version.h"
#include "pmu/port/network.h"
#include "pmu/port/tls.h"

namespace pmu::firmware {
namespace {

constexpr const char* kTag = "console";
constexpr std::size_t kBatch = 1200;       // bytes of response lines per write (one TLS record)
char g_batch[kBatch];                      // main loop only

constexpr std::string_view kPemEnd = "-----END CERTIFICATE-----";

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

bool ConsoleService::StatsLine(std::size_t index, ReportLine& t) const {
  if (index > 0) return listener_.ConnectionLine(index - 1, t);
  if (!listener_.Summary(t)) return false;
  t.Format(" commands=%" PRIu32 " errors=%" PRIu32, counters_.commands, counters_.errors);
  return true;
}

// ---- the commands ---------------------------------------------------------------------

using Session = ConsoleSession;
constexpr std::uint8_t kAnyNumber = 255;  // a value that may contain spaces

// name, arguments, help, handler, fewest and most arguments. Help lists them in order.
constinit const Session::Command Session::kCommands[] = {
    {"help", "", "this list", &Session::Help, 0, 0},
    {"version", "", "firmware and library versions", &Session::Version, 0, 0},
    {"uptime", "", "time since boot and the boot count", &Session::Uptime, 0, 0},
    {"date", "", "the device's UTC date and time, and its clock offset", &Session::Date, 0, 0},
    {"interfaces", "", "MAC address, link, IPv4 and IPv6 addresses", &Session::Interfaces, 0, 0},
    {"stats", "", "lwIP pools and heap, link and service counters, TLS arena", &Session::Stats, 0, 0},
    {"log", "[N]", "the last N log records (default 20) of those the device keeps", &Session::ShowLog, 0, 1},
    {"config show", "", "every configuration key; '*' marks a change not yet applied", &Session::ConfigShow, 0,
     0},
    {"config set", "KEY VALUE", "change a key (checked now; 'config save' keeps it, 'reboot' applies it)",
     &Session::ConfigSet, 2, kAnyNumber},
    {"config apply", "", "apply the changed c37.* and waveform.* keys now (not the C37 ports)",
     &Session::ConfigApply, 0, 0},
    {"config save", "", "write the configuration to storage", &Session::ConfigSave, 0, 0},
    {"cert info", "", "the device certificate and the CA it trusts", &Session::CertInfo, 0, 0},
    {"cert csr", "", "make a new key pair and print its certificate signing request", &Session::CertCsr, 0, 0},
    {"cert install", "", "then paste the signed certificate (PEM); new connections use it", &Session::CertInstall,
     0, 0},
    {"reboot", "", "restart the device", &Session::Reboot, 0, 0},
    {"exit", "", "end this session", &Session::Exit, 0, 0},
    {"quit", "", nullptr, &Session::Exit, 0, 0},  // an alias of exit
};
const std::size_t Session::kCommandCount = sizeof(kCommands) / sizeof(kCommands[0]);

namespace {

// How many words of `line` the command's name takes, or 0 when it is not this command.
std::size_t NameWords(std::string_view name, const proto::ConsoleLine& line) {
  const std::size_t space = name.find(' ');
  if (space == std::string_view::npos) return line.word(0) == name ? 1 : 0;
  return line.word(0) == name.substr(0, space) && line.word(1) == name.substr(space + 1) ? 2 : 0;
}

}  // namespace

// ---- session ------------------------------------------------------------------------

ConsoleSession::ConsoleSession(ConsoleService& service, port::Connection& connection)
    : service_(service),
      host_(service.host_),
      connection_(connection),
      last_activity_ms_(service.ctx_.clock.MonotonicMs()) {}

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

void ConsoleSession::RespondText(const char* format, ...) {
  text_.clear();
  va_list args;
  va_start(args, format);
  text_.VFormat(format, args);
  va_end(args);
  Respond(Output::kText);
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

bool ConsoleSession::Authenticate() {
  // The handshake is over once a line arrives: whose certificate is it?
  FixedString<120> why;
  const Result<port::TlsPeer> client = connection_.TlsClient(&why);
  if (!client.ok()) {
    PMU_LOG_WARN(service_.ctx_.log, kTag, "%s refused: %s", connection_.peer().c_str(), why.c_str());
    Fail("client certificate not accepted: %s", why.c_str());
    close_after_ = true;
    Pump();
    return false;
  }
  authenticated_ = true;
  client_ = client->common_name;
  PMU_LOG_AUDIT(service_.ctx_.log, kInfo, kTag, "%s opened by %s (%s, %s)", connection_.peer().c_str(),
                client_.c_str(), client->version, client->ciphersuite);
  return true;
}

void ConsoleSession::HandleLine(std::string_view line) {
  if (!authenticated_ && !Authenticate()) return;
  const char* peer = connection_.peer().c_str();
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
    PMU_LOG_AUDIT(service_.ctx_.log, kInfo, kTag, "%s %s> config set %.*s (value hidden)", client_.c_str(), peer,
                  static_cast<int>(parsed->word(2).size()), parsed->word(2).data());
  } else {
    PMU_LOG_AUDIT(service_.ctx_.log, kInfo, kTag, "%s %s> %.*s", client_.c_str(), peer,
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
  bool family = false;  // the first word names some command ("config", "cert")
  for (const Command& c : std::span(kCommands, kCommandCount)) {
    const std::string_view name = c.name;
    const std::size_t words = NameWords(name, cmd);
    if (words == 0) {
      family = family || name.substr(0, name.find(' ')) == cmd.word(0);
      continue;
    }
    const std::size_t arguments = cmd.count - words;
    if (arguments < c.min_arguments || arguments > c.max_arguments) {
      if (*c.arguments == '\0') {
        Fail("'%s' takes no arguments; try 'help'", c.name);
      } else {
        Fail("usage: %s %s", c.name, c.arguments);
      }
      return;
    }
    (this->*c.run)(cmd, words);
    return;
  }
  const std::string_view shown = family ? cmd.text : cmd.word(0);
  Fail("unknown command '%.*s'; try 'help'", static_cast<int>(shown.size()), shown.data());
}

void ConsoleSession::Help(const proto::ConsoleLine&, std::size_t) { Respond(Output::kHelp); }

void ConsoleSession::Version(const proto::ConsoleLine&, std::size_t) {
  RespondText("PMU firmware %s on %s\n%s\n", kFirmwareVersion, host_.board_name(), port::StackVersions());
}

void ConsoleSession::Uptime(const proto::ConsoleLine&, std::size_t) {
  RespondText("up %llu s, boot %lu\n", static_cast<unsigned long long>(host_.UptimeMs() / 1000),
              static_cast<unsigned long>(host_.boot_count()));
}

void ConsoleSession::Date(const proto::ConsoleLine&, std::size_t) {
  const DeviceClock& clock = service_.ctx_.clock;
  RespondText("%s (clock offset %+lld s)\n", FormatIso8601(clock.UtcNs(), 6).c_str(),
              static_cast<long long>(clock.offset_ns() / 1'000'000'000));
}

void ConsoleSession::Interfaces(const proto::ConsoleLine&, std::size_t) { Respond(Output::kInterfaces); }

void ConsoleSession::Stats(const proto::ConsoleLine&, std::size_t) {
  report_ = ReportReader(host_.stats_parts());
  Respond(Output::kStats);
}

void ConsoleSession::ShowLog(const proto::ConsoleLine& cmd, std::size_t first) {
  std::size_t n = 20;
  if (cmd.count > first) {
    n = 0;
    for (char c : cmd.word(first)) {
      if (c < '0' || c > '9' || n > 1000) {
        Fail("log takes a number of records, like 'log 10'");
        return;
      }
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
  }
  // Show the records that exist now, oldest first, as of this moment.
  const std::uint32_t logged = service_.ctx_.log.records_logged();
  const std::size_t available = std::min<std::size_t>(logged, Logger::kRingRecords);
  n = std::min(n, available);
  log_first_ = logged - static_cast<std::uint32_t>(n);
  Respond(Output::kLog, n);
}

void ConsoleSession::ConfigShow(const proto::ConsoleLine&, std::size_t) { Respond(Output::kConfig); }

void ConsoleSession::ConfigSet(const proto::ConsoleLine& cmd, std::size_t first) {
  const std::string_view key = cmd.word(first);
  const ConfigError e = host_.config_editor().Set(key, cmd.RestFrom(first + 1));
  if (e.ok()) {
    RespondText("%.*s changed: 'config save' keeps it, 'reboot' applies it\n", static_cast<int>(key.size()),
                key.data());
  } else if (e.key == nullptr) {
    Fail("unknown key '%.*s'; 'config show' lists them", static_cast<int>(key.size()), key.data());
  } else {
    Fail("%s: %s", e.key, e.reason);
  }
}

void ConsoleSession::ConfigApply(const proto::ConsoleLine&, std::size_t) {
  // The measurement keys take effect while running, as pmu-sim's SIGHUP does; the
  // rest of the candidate stays pending until a reboot.
  const Result<std::uint16_t> count = host_.ApplyMeasurementKeys();
  if (!count.ok()) {
    Fail("not applied: %s", count.status().message());
    return;
  }
  PMU_LOG_AUDIT(service_.ctx_.log, kInfo, kTag, "%s applied the measurement configuration (CFGCNT %u)",
                client_.c_str(), static_cast<unsigned>(*count));
  RespondText("c37.* and waveform.* applied (CFGCNT %u); other changes wait for 'reboot'\n",
              static_cast<unsigned>(*count));
}

void ConsoleSession::ConfigSave(const proto::ConsoleLine&, std::size_t) {
  std::size_t bytes = 0;
  const Status s = host_.config_editor().Save(&bytes);
  if (!s.ok()) {
    Fail("configuration not saved: %s", s.message());
    return;
  }
  PMU_LOG_AUDIT(service_.ctx_.log, kInfo, kTag, "%s saved the configuration (%u bytes)", client_.c_str(),
                static_cast<unsigned>(bytes));
  RespondText("saved %u bytes; in effect after 'reboot'\n", static_cast<unsigned>(bytes));
}

void ConsoleSession::CertInfo(const proto::ConsoleLine&, std::size_t) { Respond(Output::kCertInfo); }

void ConsoleSession::CertCsr(const proto::ConsoleLine&, std::size_t) {
  CsrText& csr = text_;
  const Status s = service_.identity_.MakeCsr(service_.ctx_.config.hostname.view(), csr);
  if (!s.ok()) {
    Fail("no CSR: %s", s.message());
    return;
  }
  PMU_LOG_AUDIT(service_.ctx_.log, kInfo, kTag, "%s made a new key pair and CSR", client_.c_str());
  Respond(Output::kText);
}

void ConsoleSession::CertInstall(const proto::ConsoleLine&, std::size_t) {
  pem_input_ = true;
  text_.clear();
  // No answer until the END line: the pasted certificate belongs to this command.
}

void ConsoleSession::Reboot(const proto::ConsoleLine&, std::size_t) {
  PMU_LOG_AUDIT(service_.ctx_.log, kWarn, kTag, "%s asked for a reboot", client_.c_str());
  RespondText("rebooting\n");
  close_after_ = true;
  host_.RequestReboot();
}

void ConsoleSession::Exit(const proto::ConsoleLine&, std::size_t) {
  Respond(Output::kNone);
  close_after_ = true;
}

void ConsoleSession::FinishPemInput() {
  pem_input_ = false;
  FixedString<160> why;
  if (text_.truncated()) {
    Fail("certificate too long (at most %u bytes)", static_cast<unsigned>(decltype(text_)::capacity()));
    return;
  }
  const Status s = service_.identity_.InstallCertificate(text_.view(), &why);
  if (!s.ok()) {
    PMU_LOG_AUDIT(service_.ctx_.log, kWarn, kTag, "%s: certificate not installed: %s", client_.c_str(), why.c_str());
    Fail("certificate not installed: %s", why.c_str());
    return;
  }
  PMU_LOG_AUDIT(service_.ctx_.log, kInfo, kTag, "%s installed a new device certificate", client_.c_str());
  text_.clear();
  text_.Append("installed; new connections use it\n");
  Respond(Output::kText);
}

bool ConsoleSession::NextLine(Line& out) {
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
    case Output::kHelp: {
      // Produced by position: the i-th command that help lists.
      std::size_t listed = 0;
      for (const Command& c : std::span(kCommands, kCommandCount)) {
        if (c.help == nullptr || listed++ != i) continue;
        FixedString<40> usage;
        usage.Format("%s%s%s", c.name, *c.arguments ? " " : "", c.arguments);
        out.Format("%-22s %s", usage.c_str(), c.help);
        return true;
      }
      return false;
    }
    case Output::kStats: {
      ReportLine line;
      if (!report_.Line(i, line)) return false;
      out.Append(line.view());
      return true;
    }
    case Output::kInterfaces: {
      ReportLine line;
      if (!host_.InterfaceLine(i, line)) return false;
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
      ConfigValueAt(host_.config_editor().candidate(), i, candidate, false);
      ConfigValueAt(host_.config_editor().running(), i, running, false);
      const bool differs = candidate.view() != running.view();
      out.Format("%s%s = %s", differs ? "*" : "", ConfigKeyName(i), candidate.c_str());
      if (differs) out.Format("   (running: %s)", running.c_str());
      return true;
    }
    case Output::kCertInfo: {
      const DeviceIdentity& identity = service_.identity_;
      if (!identity.ready()) return false;
      port::CertificateText line;
      if (i == 0) {
        out.Append("device certificate:");
        return true;
      }
      if (i >= 1 && i <= 5) {
        identity.CertificateLine(port::TlsServer::Which::kOwn, i - 1, &line);
        out.Format("  %s", line.c_str());
        return true;
      }
      if (i == 6) {
        out.Append("trusted CA:");
        return true;
      }
      if (i >= 7 && i <= 10) {
        identity.CertificateLine(port::TlsServer::Which::kTrustAnchor, i - 7, &line);
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
