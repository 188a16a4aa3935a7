// pmu-sim: the PMU firmware on a Linux TAP interface. The simulator is just another
// board: it builds a hal::Board from host devices and runs the firmware's main loop,
// sleeping in poll(2) until a frame arrives, a timer is due or a signal comes.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "pcap_link.h"
#include "playback_files.h"
#include "pmu/firmware/boot.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/device.h"
#include "pmu/hal/linux/host_devices.h"
#include "pmu/hal/linux/memory_storage.h"
#include "pmu/hal/power_cut_storage.h"
#include "pmu/hal/linux/tap_link.h"

namespace {

using pmu::firmware::DeviceConfig;

constexpr const char* kTag = "sim";  // the simulator's own lines in the device log
constexpr int kExitUsage = 2;    // bad flags or configuration
constexpr int kExitFailure = 1;  // could not start (TAP, files)
constexpr std::size_t kStorageSize = 64 * 1024;

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return true;
}

// Factory provisioning: DIR's ca.crt, device.crt and device.key as one text, the form
// the boot sequence takes a factory identity in (a board's certs area holds the same).
bool ReadIdentity(const std::string& dir, std::string* out) {
  for (const char* name : {"ca.crt", "device.crt", "device.key"}) {
    std::string text;
    if (!ReadFile(dir + "/" + name, &text)) {
      std::cerr << "pmu-sim: --provision: cannot read " << dir << "/" << name << "\n";
      return false;
    }
    out->append(text).append("\n");
  }
  return true;
}

void PrintConfig(const DeviceConfig& config) {
  pmu::firmware::ForEachConfigValue(
      config,
      [](void*, const char* key, std::string_view value) {
        std::cout << key << " = " << value << "\n";
      },
      nullptr);
}

// Only the keys whose value is not the default: what a board is given, so that it takes
// its own defaults for the rest (a board profile's limits among them).
void PrintChangedConfig(const DeviceConfig& config) {
  std::map<std::string, std::string> defaults;
  pmu::firmware::ForEachConfigValue(
      DeviceConfig{},
      [](void* ctx, const char* key, std::string_view value) {
        (*static_cast<std::map<std::string, std::string>*>(ctx))[key] = std::string(value);
      },
      &defaults);
  pmu::firmware::ForEachConfigValue(
      config,
      [](void* ctx, const char* key, std::string_view value) {
        const auto& d = *static_cast<const std::map<std::string, std::string>*>(ctx);
        if (d.at(key) != value) std::cout << key << " = " << value << "\n";
      },
      &defaults);
}

// The configuration as text without the keys that apply while running.
std::string RestartKeys(const DeviceConfig& config) {
  std::string out;
  pmu::firmware::ForEachConfigValue(
      config,
      [](void* ctx, const char* key, std::string_view value) {
        const std::string_view k(key);
        if (k.rfind("c37.", 0) == 0 || k.rfind("waveform.", 0) == 0) return;
        static_cast<std::string*>(ctx)->append(k).append("=").append(value).append("\n");
      },
      &out);
  return out;
}

// Whether the simulator may run with the configuration of a boot: false (having said
// why on standard error) when --config or --set was refused; a refused saved
// configuration is reported and skipped, as on a board.
bool Acceptable(const pmu::firmware::ConfigLoad& load) {
  using Kind = pmu::firmware::ConfigSourceOutcome::Kind;
  if (load.saved.kind == Kind::kRefused) {
    std::cerr << "pmu-sim: " << pmu::firmware::DescribeRefusal(load.saved).c_str() << " (ignored)\n";
  }
  for (const auto* o : {&load.provisioned, &load.overrides}) {
    if (o->kind == Kind::kRefused) {
      std::cerr << "pmu-sim: " << pmu::firmware::DescribeRefusal(*o).c_str() << "\n";
      return false;
    }
  }
  return true;
}

// SIGHUP: reads the saved configuration, --config and --set again and applies the
// measurement keys (c37.*, waveform.*); other keys take effect at the next start.
void Reload(pmu::firmware::Device& device, pmu::hal::Storage& storage, const pmu::firmware::BootSources& sources) {
  pmu::firmware::Logger& log = device.logger();
  const pmu::firmware::ConfigLoad next = pmu::firmware::LoadConfig(storage, sources);
  if (!Acceptable(next)) {
    PMU_LOG_ERROR(log, kTag, "SIGHUP: configuration invalid (see standard error); nothing changed");
    return;
  }
  if (RestartKeys(next.config) != RestartKeys(device.config())) {
    PMU_LOG_WARN(log, kTag, "SIGHUP: keys other than c37.* and waveform.* changed; they apply at the next start");
  }
  const pmu::Result<std::uint16_t> count = device.ApplyMeasurementConfig(next.config);
  if (count.ok()) {
    PMU_LOG_INFO(log, kTag, "SIGHUP: measurement configuration applied (CFGCNT %u)", static_cast<unsigned>(*count));
  } else {
    PMU_LOG_ERROR(log, kTag, "SIGHUP: measurement configuration not applied: %s", count.status().message());
  }
}

struct SimClockSetting {
  std::int64_t offset_ns = 0;
  std::int64_t drift_ppb = 0;
  bool drawn = false;
};

// sim.clock_offset_us and sim.clock_drift_ppb; "random" draws uniformly within +-1 s and
// +-100 ppm from its own generator (seeded from --seed, so the device's other random
// choices stay what they were for a seed).
SimClockSetting DrawClockError(const DeviceConfig& config, const std::optional<std::uint64_t>& seed) {
  SimClockSetting s;
  pmu::hal::linux_host::HostEntropy source =
      seed ? pmu::hal::linux_host::HostEntropy(*seed ^ 0x636C6F636BULL) : pmu::hal::linux_host::HostEntropy();
  auto draw = [&](std::int64_t limit) {
    std::uint64_t v = 0;
    (void)source.Fill(pmu::AsWritableBytes(&v, sizeof(v)));
    return static_cast<std::int64_t>(v % static_cast<std::uint64_t>(2 * limit + 1)) - limit;
  };
  const pmu::firmware::SimClockError& offset = config.sim_clock_offset_us;
  const pmu::firmware::SimClockError& drift = config.sim_clock_drift_ppb;
  s.offset_ns = offset.random ? draw(1'000'000'000) : offset.value * 1000;
  s.drift_ppb = drift.random ? draw(100'000) : drift.value;
  s.drawn = offset.random || drift.random;
  return s;
}

// The device's UTC against the host's, which stands for true time: what no real device
// can know about itself, the simulator's measure of how well the time source works.
void LogTrueError(pmu::firmware::Device& device, const pmu::hal::Clock& host) {
  const std::int64_t before = host.UtcNs();
  const std::int64_t device_utc = device.clock().UtcNs();
  const std::int64_t after = host.UtcNs();
  const std::int64_t error = device_utc - (before + (after - before) / 2);
  const pmu::firmware::TimeError e = device.clock().Error();
  PMU_LOG_INFO(device.logger(), "stats", "sim clock true_error_ns=%lld claimed_bound_ns=%llu state=%s",
               static_cast<long long>(error), static_cast<unsigned long long>(e.error_ns),
               pmu::firmware::SyncStateName(e.state));
}

// A power cut rehearsed (SIGUSR2 with a value): what restarting from inside a storage
// write needs.
struct PowerCut {
  char** argv = nullptr;
  sigset_t signals{};
  pmu::firmware::Logger* log = nullptr;
};
PowerCut g_power_cut;

// The power fails: no shutdown and nothing more written; the storage file holds what
// reached it, and the simulator starts again on it, as a console 'reboot' does.
[[noreturn]] void CutPower(std::size_t after_bytes, void* context) {
  auto* cut = static_cast<PowerCut*>(context);
  if (cut->log != nullptr) {
    PMU_LOG_WARN(*cut->log, "storage", "power cut (rehearsal) after %zu bytes: restarting the simulator in place",
                 after_bytes);
  }
  std::fflush(nullptr);
  sigprocmask(SIG_UNBLOCK, &cut->signals, nullptr);
  execv("/proc/self/exe", cut->argv);
  _exit(kExitFailure);
}

void LogStorage(pmu::firmware::Device& device, const pmu::hal::PowerCutStorage& storage) {
  PMU_LOG_INFO(device.logger(), "stats", "storage writes=%llu bytes=%llu",
               static_cast<unsigned long long>(storage.writes()), static_cast<unsigned long long>(storage.bytes()));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "pmu-sim: run the PMU firmware on a Linux TAP interface.\n\n"
      "The device answers on the TAP link with the addresses of its configuration\n"
      "(defaults: 192.0.2.2/24 and 2001:db8::2/64). Normally started by sim/pmu-netns,\n"
      "which makes the TAP link inside a private network namespace.\n\n"
      "Signals: SIGINT/SIGTERM stop the device (final statistics go to the log);\n"
      "SIGUSR1 writes a statistics report to the log, then the device clock's true error\n"
      "against the host's UTC ('sim clock true_error_ns=...'); SIGHUP reads the saved\n"
      "configuration, --config and --set again and applies the c37.* and waveform.*\n"
      "keys (CFGCNT goes up when the PMU's configuration changed); SIGUSR2 with a value N\n"
      "(sigqueue, 'kill -USR2 -q N PID') rehearses a power cut: after N more bytes are\n"
      "written to storage the simulator restarts in place, mid-write, as after power loss.\n\n"
      "The device's clock is its own: sim.clock_offset_us and sim.clock_drift_ppb (or\n"
      "'random', drawn from --seed) set its oscillator's error; the waveform follows the\n"
      "host's UTC, so that error shows as phase until the PTP slave locks (time.source).",
      "pmu-sim"};
  std::string tap, config_file, log_file, pcap_file, storage_file;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  bool print_config = false, check_only = false;
  std::string write_playback;
  app.add_option("--tap", tap, "TAP interface to attach to (created if missing and permitted)");
  app.add_option("--config", config_file, "configuration file: 'key = value' lines (see docs/CONFIGURATION.md)")
      ->check(CLI::ExistingFile);
  app.add_option("--set", sets, "override one configuration value, key=value (repeatable, applied after --config)");
  app.add_option("--log", log_file, "write the device log to FILE (default: standard error)");
  app.add_option("--pcap", pcap_file, "record every frame the device sends and receives in FILE (pcap)");
  app.add_option("--storage", storage_file,
                 "persistent storage file: saved configuration, TLS identity, boot counter (default: in memory, "
                 "lost at exit and at a reboot)");
  std::string provision_dir;
  app.add_option("--provision", provision_dir,
                 "factory provisioning: put DIR/ca.crt, DIR/device.crt and DIR/device.key into storage when it "
                 "holds no device certificate yet (certs/make-dev-pki.sh makes DIR)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--seed", seed,
                 "seed the device's random source for reproducible runs (not for keys)");
  app.add_flag("--print-config", print_config, "print the effective configuration and exit");
  bool print_changed = false;
  app.add_flag("--print-changed-config", print_changed,
               "print only the keys that differ from the defaults and exit (what the launcher writes into a "
               "board's config area: the board keeps its own defaults, its profile's limits among them)");
  app.add_option("--write-playback", write_playback,
                 "write what analog.source plays (a .cfg and .dat joined as one .cff, a .cff or a scenario) to FILE "
                 "and exit: what the launcher loads into a board's playback area");
  app.add_flag("--check-config", check_only, "validate the configuration and exit (status 0 when valid)");
  app.footer(
      "Configuration precedence: the defaults, then --config, then the configuration saved in\n"
      "storage (the console's 'config save'), then --set; each must be valid on top of those before\n"
      "it (docs/CONFIGURATION.md).\n"
      "A console 'reboot' restarts the simulator in place (same arguments, same storage file).\n"
      "Exit status: 0 stopped by a signal or config printed, 1 could not start, 2 bad usage or configuration.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  // ---- storage: first, since it holds the saved configuration ------------------------
  pmu::hal::linux_host::MemoryStorage memory_storage(kStorageSize);
  pmu::hal::linux_host::FileStorage file_storage;
  pmu::hal::Storage* storage = &memory_storage;
  if (!storage_file.empty()) {
    if (const pmu::Status st = file_storage.Open(storage_file, kStorageSize); !st.ok()) {
      std::cerr << "pmu-sim: " << storage_file << ": " << st.message() << "\n";
      return kExitFailure;
    }
    storage = &file_storage;
  }
  g_power_cut.argv = argv;
  pmu::hal::PowerCutStorage cut_storage(*storage, CutPower, &g_power_cut);
  storage = &cut_storage;
  // ---- the boot's sources: --config, --set, --provision ----------------------------
  // (the configuration again on SIGHUP: the measurement keys are applied while running)
  std::vector<pmu::firmware::ConfigOverride> overrides;
  for (const std::string& set : sets) {
    const auto eq = set.find('=');
    if (eq == std::string::npos) {
      std::cerr << "pmu-sim: --set needs key=value, got '" << set << "'\n";
      return kExitUsage;
    }
    overrides.push_back({std::string_view(set).substr(0, eq), std::string_view(set).substr(eq + 1)});
  }
  std::string config_text, identity_text;
  auto sources = [&]() -> std::optional<pmu::firmware::BootSources> {
    if (!config_file.empty() && !ReadFile(config_file, &config_text)) {
      std::cerr << "pmu-sim: cannot read " << config_file << "\n";
      return std::nullopt;
    }
    return pmu::firmware::BootSources{config_text, config_file.c_str(), overrides, "--set", identity_text};
  };
  if (!provision_dir.empty() && !ReadIdentity(provision_dir, &identity_text)) return kExitFailure;
  const std::optional<pmu::firmware::BootSources> boot_sources = sources();
  if (!boot_sources) return kExitFailure;
  pmu::firmware::Boot boot(*storage);
  const pmu::firmware::ConfigLoad& loaded = boot.Prepare(*boot_sources);
  if (!Acceptable(loaded)) return kExitUsage;
  const DeviceConfig& config = loaded.config;
  if (print_config) {
    PrintConfig(config);
    return 0;
  }
  if (print_changed) {
    PrintChangedConfig(config);
    return 0;
  }
  // What analog.source plays, read now: a missing or malformed file stops the start.
  std::string playback_bytes, playback_error;
  if (!pmu::sim::LoadPlaybackArea(config.playback, &playback_bytes, &playback_error)) {
    std::cerr << "pmu-sim: " << playback_error << "\n";
    return kExitUsage;
  }
  if (!write_playback.empty()) {
    std::ofstream out(write_playback, std::ios::binary | std::ios::trunc);
    out.write(playback_bytes.data(), static_cast<std::streamsize>(playback_bytes.size()));
    if (!out) {
      std::cerr << "pmu-sim: cannot write " << write_playback << "\n";
      return kExitFailure;
    }
    return 0;
  }
  if (config.time_source == pmu::firmware::TimeSource::kPlatform &&
      (config.sim_clock_offset_us.random || config.sim_clock_offset_us.value != 0 ||
       config.sim_clock_drift_ppb.random || config.sim_clock_drift_ppb.value != 0)) {
    std::cerr << "pmu-sim: time.source = platform trusts the clock, but sim.clock_offset_us or "
                 "sim.clock_drift_ppb gives it an error: set them to 0 or use time.source = ptp\n";
    return kExitUsage;
  }
  if (check_only) return 0;
  if (tap.empty()) {
    std::cerr << "pmu-sim: --tap is required (the TAP interface the device is attached to)\n";
    return kExitUsage;
  }

  // ---- the board ------------------------------------------------------------------
  std::FILE* log_stream = stderr;
  if (!log_file.empty()) {
    // Appended: a console reboot restarts the simulator on the same log.
    log_stream = std::fopen(log_file.c_str(), "ae");
    if (log_stream == nullptr) {
      std::cerr << "pmu-sim: cannot write the log file " << log_file << ": " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
  }
  // The device's oscillator, before the link that stamps frames with it (and so outlives
  // the link's reader thread).
  const SimClockSetting clock_setting = DrawClockError(config, seed);
  pmu::hal::linux_host::SimulatedClock clock(clock_setting.offset_ns, clock_setting.drift_ppb);
  pmu::hal::linux_host::TapLink tap_link;
  if (const pmu::Status s = tap_link.Open(tap, config.mac); !s.ok()) {
    std::cerr << "pmu-sim: " << tap << ": " << s.message() << "\n";
    return kExitFailure;
  }
  if (const pmu::Status s = tap_link.StartReader(clock); !s.ok()) {
    std::cerr << "pmu-sim: " << tap << ": " << s.message() << "\n";
    return kExitFailure;
  }
  pmu::sim::PcapLink pcap_link(tap_link);
  pmu::hal::Link* link = &tap_link;
  if (!pcap_file.empty()) {
    if (const pmu::Status s = pcap_link.Open(pcap_file); !s.ok()) {
      std::cerr << "pmu-sim: " << pcap_file << ": " << s.message() << "\n";
      return kExitFailure;
    }
    link = &pcap_link;
  }
  pmu::hal::linux_host::HostClock grid_clock;  // the host's UTC stands for the grid's true time
  auto entropy = seed ? pmu::hal::linux_host::HostEntropy(*seed) : pmu::hal::linux_host::HostEntropy();
  pmu::hal::linux_host::StreamLogSink log_sink(log_stream);
  pmu::hal::Board board{*link, clock, entropy, *storage, log_sink, "linux-tap"};
  board.grid_clock = &grid_clock;
  pmu::hal::linux_host::MemoryStorage playback_area(playback_bytes.size());
  if (!playback_bytes.empty()) {
    (void)playback_area.Write(0, pmu::AsBytes(playback_bytes));
    board.playback = &playback_area;
  }

  // Signals arrive through a descriptor the main loop polls, never asynchronously.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR2);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  g_power_cut.signals = signals;
  const int sig_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

  auto device = std::make_unique<pmu::firmware::Device>(board, config);
  g_power_cut.log = &device->logger();
  if (entropy.seeded()) {
    PMU_LOG_WARN(device->logger(), kTag, "random source seeded with %llu: reproducible, not for keys",
                 static_cast<unsigned long long>(*seed));
  }
  PMU_LOG_INFO(device->logger(), kTag, "device clock: %+lld us from the host's UTC at start, %+lld ppb%s",
               static_cast<long long>(clock.offset_ns() / 1000), static_cast<long long>(clock.drift_ppb()),
               clock_setting.drawn ? " (drawn at random)" : "");
  PMU_LOG_INFO(device->logger(), kTag, "link time stamps: %s",
               tap_link.kernel_stamps() ? "PTP event frames by the host's kernel, the others by the link's reader thread"
                                        : "by the link's reader thread (no packet socket on the TAP: needs CAP_NET_RAW)");
  if (!boot.Start(*device).ok()) return kExitFailure;

  bool running = true;
  while (running && !device->reboot_requested()) {
    const std::size_t frames = device->Poll();
    // Sleep only when the link is drained; at most 500 ms so the link state is
    // followed even when lwIP has no timer due. To the microsecond (ppoll): a report
    // is due at its instant, and poll's milliseconds would send it up to one late.
    const std::uint32_t sleep_us = frames > 0 ? 0 : std::min<std::uint32_t>(device->UsUntilNextTimer(), 500'000);
    const timespec timeout{0, static_cast<long>(sleep_us) * 1000};
    pollfd fds[2] = {{tap_link.fd(), POLLIN, 0}, {sig_fd, POLLIN, 0}};
    if (ppoll(fds, 2, &timeout, nullptr) < 0 && errno != EINTR) {
      PMU_LOG_ERROR(device->logger(), kTag, "poll failed: %s", std::strerror(errno));
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      while (read(sig_fd, &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGUSR1) {
          device->LogStats();
          LogTrueError(*device, grid_clock);
          LogStorage(*device, cut_storage);
        } else if (info.ssi_signo == SIGUSR2) {
          if (info.ssi_int < 0) {
            PMU_LOG_WARN(device->logger(), "storage", "power cut rehearsal: %d is not a byte count", info.ssi_int);
          } else {
            cut_storage.Arm(static_cast<std::size_t>(info.ssi_int));
            PMU_LOG_WARN(device->logger(), "storage", "power cut rehearsal: power fails after %d more bytes",
                         info.ssi_int);
          }
        } else if (info.ssi_signo == SIGHUP) {
          if (const auto again = sources()) Reload(*device, *storage, *again);
        } else {
          PMU_LOG_INFO(device->logger(), kTag, "signal %u: stopping", info.ssi_signo);
          running = false;
        }
      }
    }
  }
  const bool reboot = device->reboot_requested();
  device->Shutdown();
  if (reboot) {
    PMU_LOG_WARN(device->logger(), kTag, "rebooting: restarting the simulator in place");
    std::fflush(nullptr);
    // Every descriptor is close-on-exec: the TAP link, storage and log are reopened.
    sigprocmask(SIG_UNBLOCK, &signals, nullptr);
    execv("/proc/self/exe", argv);
    std::cerr << "pmu-sim: reboot failed: " << std::strerror(errno) << "\n";
    return kExitFailure;
  }
  if (log_stream != stderr) std::fclose(log_stream);
  return 0;
}
