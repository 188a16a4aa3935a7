// The subcommands for the device's lab services: echo (TCP 5002), send (UDP 5001),
// short, floodme and command (TCP 5003); pdc tls reads its answers with them too.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "net.h"
#include "report.h"

namespace pmu::pdc {

// What the answer readers need besides the stream: the tool's name for messages, the
// peer for the summary, and the summary's first fields.
struct AnswerContext {
  std::string name;  // "pdc short", "pdc tls"
  std::string peer;
  bool json = false;
  Clock::time_point start;
  Report report;     // command, peer, family (and TLS details for pdc tls)
};

AnswerContext MakeContext(const std::string& name, const std::string& command, const Endpoint& peer, bool json,
                          Clock::time_point start);

// Read a command's answer to the end of the stream and print it the way the plain
// subcommands do; return the exit status.
int ReadShortAnswer(ByteStream& stream, const AnswerContext& ctx, bool timestamps, bool quiet);
int ReadFloodmeAnswer(ByteStream& stream, const AnswerContext& ctx, std::uint64_t expected_size,
                      const std::string& output, std::size_t buffer_size);
int ReadRawAnswer(ByteStream& stream, const AnswerContext& ctx);

// Adds the subcommands to `app`; the one the user picks sets `run`.
void AddLabServiceCommands(CLI::App& app, std::function<int()>& run);

}  // namespace pmu::pdc
