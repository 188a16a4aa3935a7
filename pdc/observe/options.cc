#include "options.h"

#include "archive/archive.h"
#include "net.h"
#include "view/view.h"

namespace pmu::pdc::observe {

void AddViewOption(CLI::App* sub, Options& o) {
  sub->add_option("--http", o.http_port,
                  "also serve the live view (docs/VIEW.md) on this port of localhost; 0: any free port, printed")
      ->check(CLI::Range(0, 65535));
}

void AddArchiveOptions(CLI::App* sub, Options& o) {
  sub->add_option("--archive", o.archive,
                  "keep every report, configuration and event in sqlite:FILE or postgresql://... (docs/ARCHIVE.md)");
  sub->add_option("--archive-buffer", o.archive_buffer,
                  "rows held while the database is away or slow (default " + std::to_string(kDefaultArchiveBuffer) +
                      "); beyond, new rows are dropped, said on standard error and recorded")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
}

std::unique_ptr<Observers> Start(const Options& o, const std::vector<Source>& sources, const std::string& tool) {
  if (o.http_port < 0 && o.archive.empty()) return nullptr;
  auto all = std::make_unique<Observers>();
  if (!o.archive.empty()) {
    const archive::ArchiveUrl url = archive::ParseArchiveUrl(o.archive);  // std::invalid_argument: usage
    try {
      all->Add(std::make_unique<archive::Archive>(url, o.archive_buffer, sources, tool));
    } catch (const archive::ArchiveError& e) {
      // A server that does not answer is the network's; a file that cannot be opened is local.
      if (url.kind == archive::ArchiveUrl::Kind::kPostgres) throw NetError(std::string("archive: ") + e.what());
      throw std::runtime_error(std::string("archive: ") + e.what());
    }
  }
  if (o.http_port >= 0) all->Add(view::StartView(static_cast<unsigned>(o.http_port), sources, tool));
  return all;
}

}  // namespace pmu::pdc::observe
