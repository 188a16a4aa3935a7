#include "tls.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "exit_status.h"
#include "lab_services.h"
#include "net.h"
#include "pmu/proto/command.h"
#include "report.h"
#include "target.h"
#include "tls_client.h"

namespace pmu::pdc {
namespace {

// A device's TLS service: where it is, and whom to trust and show.
struct TlsTarget {
  Target device;
  TlsClientOptions tls;
};

void AddTlsTargetOptions(CLI::App* sub, TlsTarget& t, unsigned default_port) {
  AddTargetOptions(sub, t.device, default_port);
  AddTlsOptions(sub, t.tls);
}

std::unique_ptr<TlsStream> Connect(const TlsTarget& t, Endpoint* peer) {
  Socket s = ConnectTcp(t.device, peer);
  return std::make_unique<TlsStream>(std::move(s), t.device.timeout_ms(), t.tls, t.device.host);
}

// ---- pdc tls ------------------------------------------------------------------------

struct TlsCommandOptions {
  TlsTarget target;
  std::string command;
  bool json = false;
  bool timestamps = false;
  bool quiet = false;
  std::string output;
};

int RunTls(const TlsCommandOptions& o) {
  Endpoint peer;
  const auto start = Clock::now();
  std::unique_ptr<TlsStream> stream = Connect(o.target, &peer);
  AnswerContext ctx = MakeContext("pdc tls", o.command, peer, o.json, start);
  ctx.report.Add("tls_version", stream->version()).Add("cipher", stream->cipher())
      .Add("device_subject", stream->peer_subject()).Add("device_not_after", stream->peer_not_after());
  if (!o.json) {
    std::cerr << stream->version() << " " << stream->cipher() << " with " << peer.ToString() << "; device "
              << stream->peer_subject() << ", valid until " << stream->peer_not_after() << "\n";
  }
  const std::string line = o.command + "\n";
  stream->Send(line.data(), line.size());
  const Result<proto::Command> cmd = proto::ParseCommand(o.command);
  if (cmd.ok() && cmd->kind == proto::CommandKind::kShort) {
    return ReadShortAnswer(*stream, ctx, o.timestamps, o.quiet);
  }
  if (cmd.ok() && cmd->kind == proto::CommandKind::kFloodme) {
    return ReadFloodmeAnswer(*stream, ctx, cmd->size, o.output, 64 * 1024);
  }
  return ReadRawAnswer(*stream, ctx);
}

// ---- pdc console --------------------------------------------------------------------

struct ConsoleOptions {
  TlsTarget target;
  std::vector<std::string> words;
};

class LineInput {
 public:
  explicit LineInput(ByteStream& s) : stream_(s) {}
  // The next line without its line feed; false at the end of the stream.
  bool Next(std::string& line) {
    for (;;) {
      const std::size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      char chunk[4096];
      const std::size_t n = stream_.Receive(chunk, sizeof(chunk));
      if (n == 0) {
        if (buffer_.empty()) return false;
        line.swap(buffer_);
        buffer_.clear();
        return true;
      }
      buffer_.append(chunk, n);
    }
  }

 private:
  ByteStream& stream_;
  std::string buffer_;
};

// Sends one command (and, for cert install, the PEM that follows) and prints the
// answer; returns true for OK.
bool RunConsoleCommand(TlsStream& stream, LineInput& in, const std::string& command, const std::string& extra, bool* closed) {
  std::string out = command + "\n" + extra;
  stream.Send(out.data(), out.size());
  std::string line;
  while (in.Next(line)) {
    if (line == "OK") return true;
    if (line.rfind("ERROR", 0) == 0) {
      std::cerr << line << "\n";
      return false;
    }
    std::cout << line << "\n";
  }
  *closed = true;
  return command == "reboot" || command == "exit" || command == "quit";
}

// The PEM block for `cert install`: from standard input up to the END line.
std::string ReadPem(std::istream& from) {
  std::string pem, line;
  while (std::getline(from, line)) {
    pem += line + "\n";
    if (line.rfind("-----END CERTIFICATE-----", 0) == 0) break;
  }
  return pem;
}

int RunConsole(const ConsoleOptions& o) {
  Endpoint peer;
  std::unique_ptr<TlsStream> stream = Connect(o.target, &peer);
  LineInput in(*stream);
  bool closed = false;
  if (!o.words.empty()) {
    std::string command;
    for (std::size_t i = 0; i < o.words.size(); ++i) command += (i ? " " : "") + o.words[i];
    const std::string extra = command == "cert install" ? ReadPem(std::cin) : "";
    const bool ok = RunConsoleCommand(*stream, in, command, extra, &closed);
    if (!closed) stream->ShutdownWrite();
    return ok ? kExitOk : kExitProtocol;
  }
  const bool tty = isatty(0) != 0;
  if (tty) {
    std::cerr << "connected to " << peer.ToString() << " (" << stream->version() << ", " << stream->cipher()
              << "); device " << stream->peer_subject() << ". 'help' lists the commands, 'exit' leaves.\n";
  }
  int rc = kExitOk;
  std::string command;
  for (;;) {
    if (tty) std::cerr << o.target.device.host << "> " << std::flush;
    if (!std::getline(std::cin, command)) break;
    const std::string extra = command == "cert install" ? ReadPem(std::cin) : "";
    if (!RunConsoleCommand(*stream, in, command, extra, &closed)) rc = kExitProtocol;
    if (closed) break;
  }
  if (!closed) stream->ShutdownWrite();
  return rc;
}

}  // namespace

void AddTlsCommands(CLI::App& app, std::function<int()>& run) {
  {
    auto o = std::make_shared<TlsCommandOptions>();
    auto* sub = app.add_subcommand("tls", "a command over TLS (5007): CMD_short:d, CMD_floodme[:N], CMD_time ...");
    AddTlsTargetOptions(sub, o->target, 5007);
    sub->add_option("command", o->command, "the command, e.g. CMD_time")->required();
    sub->add_flag("--json", o->json, "the summary (with TLS version, cipher, device certificate) as JSON");
    sub->add_flag("--timestamps", o->timestamps, "CMD_short: prefix each message with its arrival time");
    sub->add_flag("-q,--quiet", o->quiet, "CMD_short: only the summary");
    sub->add_option("-o,--output", o->output, "CMD_floodme: also write the data to FILE ('-': standard output)");
    sub->footer("Verifies the device's certificate chain (--ca), its name or address (HOST or --servername)\n"
                "and validity, then prints the protocol, cipher suite, and the certificate's subject and\n"
                "expiry before the answer. Exit status 3 also for a failed handshake or verification.");
    sub->callback([o, &run] { run = [o] { return RunTls(*o); }; });
  }
  {
    auto o = std::make_shared<ConsoleOptions>();
    auto* sub = app.add_subcommand("console", "the device's operator console (mutual TLS, 5008)");
    AddTlsTargetOptions(sub, o->target, 5008);
    sub->add_option("command", o->words, "run one command and exit (e.g. 'stats'); without it: interactive");
    sub->footer("Needs a client certificate from the device's CA whose name is on the device's allow list\n"
                "(--cert, --key). 'cert install' reads the certificate (PEM) from standard input.\n"
                "Exit status 4 when the device answers ERROR.");
    sub->callback([o, &run] { run = [o] { return RunConsole(*o); }; });
  }
}

}  // namespace pmu::pdc
