// The command-line options that attach observers (the live view, the archive) to the
// c37 readers, and the one place that starts them.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "observer.h"

namespace pmu::pdc::observe {

// The view's port when `pdc c37 view` is given no --http.
inline constexpr int kDefaultViewPort = 8037;
// Rows the archive holds while its database is away: 10 s of 1000 PMUs at 60 frames/s.
inline constexpr std::size_t kDefaultArchiveBuffer = 600'000;

struct Options {
  int http_port = -1;  // -1: no view; 0: any free port
  std::string archive;  // URL; empty: no archive
  std::size_t archive_buffer = kDefaultArchiveBuffer;
};

// --http PORT (the view) and --archive URL, --archive-buffer ROWS.
void AddViewOption(CLI::App* sub, Options& o);
void AddArchiveOptions(CLI::App* sub, Options& o);

// Starts what `o` asks for, reading `sources`; nothing (nullptr) when it asks for
// nothing. `tool` prefixes its messages ("pdc c37 concentrate"). Throws
// std::invalid_argument for a bad URL and NetError when the view cannot listen or the
// database cannot be opened at the start.
std::unique_ptr<Observers> Start(const Options& o, const std::vector<Source>& sources, const std::string& tool);

}  // namespace pmu::pdc::observe
