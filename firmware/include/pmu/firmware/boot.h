// The boot sequence every target runs, in this order, with its own sources:
//
//   1. Configuration, by one precedence (a later source wins, key by key):
//        the built-in defaults,
//        the provisioned text (the board's config area; pmu-sim --config),
//        the configuration saved in storage (the console's `config save`),
//        the target's overrides (pmu-sim --set).
//      Each source is applied on top of those before it and must leave a valid
//      configuration; one that does not is refused as a whole (reported, and the
//      configuration stays what it was). The target decides whether a refusal stops it:
//      the simulator stops on a bad --config or --set (its operator typed them), a
//      board never does (a device that cannot be reached is worse than one with the
//      previous addresses).
//   2. The factory TLS identity into storage, unless storage already holds one (in an
//      image with the TLS services).
//   3. Entropy: on a board without a random generator, its DRBG is seeded from timer
//      noise, the seeds it keeps and its MAC, and the boot seed is renewed.
//   4. The device starts, after the log has said what steps 1 to 3 found.
#pragma once

#include <span>
#include <string_view>

#include "pmu/base/ip_address.h"
#include "pmu/base/status.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/identity.h"
#include "pmu/firmware/log.h"
#include "pmu/hal/entropy.h"
#include "pmu/hal/seed_store.h"
#include "pmu/hal/storage.h"
#include "pmu/port/drbg_entropy.h"

namespace pmu::firmware {

class Device;

struct ConfigOverride {
  std::string_view key;
  std::string_view value;
};

struct BootSources {
  std::string_view provisioned_config;  // empty: none
  const char* provisioned_origin = "";  // where it came from, for messages
  std::span<const ConfigOverride> overrides;
  const char* overrides_origin = "";    // for messages
  std::string_view factory_identity;    // the CA, device certificate and key (PEM); empty: none
};

// What one configuration source did.
struct ConfigSourceOutcome {
  enum class Kind : std::uint8_t { kAbsent, kApplied, kRefused } kind = Kind::kAbsent;
  const char* origin = "";
  std::size_t bytes = 0;  // of a text source
  unsigned line = 0;      // kRefused: the line of a text source (0: none)
  // kRefused: why (DescribeConfigError's text: the source's text may be gone by the
  // time it is reported, as the saved one, read into the text scratch).
  FixedString<240> why;
};

struct ConfigLoad {
  DeviceConfig config;
  ConfigSourceOutcome provisioned;
  ConfigSourceOutcome saved;
  ConfigSourceOutcome overrides;
};

// Step 1 alone (pmu-sim's SIGHUP reads the sources again with it).
ConfigLoad LoadConfig(hal::Storage& storage, const BootSources& sources);
// The same into `load`, which must be as default-constructed: no ConfigLoad (2 KiB) on
// the stack, which the boards' small stacks feel.
void LoadConfigInto(hal::Storage& storage, const BootSources& sources, ConfigLoad& load);

// "invalid configuration in <origin> line 4: log.level = 'loud': ... ; <consequence>".
FixedString<320> DescribeRefusal(const ConfigSourceOutcome& outcome);

class Boot {
 public:
  explicit Boot(hal::Storage& storage) : storage_(storage) {}

  // Steps 1 and 2, before the link exists (its MAC is configured).
  const ConfigLoad& Prepare(const BootSources& sources);
  const ConfigLoad& config_load() const { return load_; }

  // Step 3, for targets whose entropy is a DRBG over stored seeds.
  Status SeedEntropy(port::DrbgEntropy& drbg, hal::Entropy& noise, hal::SeedStore& seeds, const MacAddress& mac);

  // Step 4: logs what the steps found, then starts the device.
  Status Start(Device& device);

 private:
  void Report(Logger& log) const;

  hal::Storage& storage_;
  ConfigLoad load_;
  ProvisionOutcome identity_;
  bool entropy_seeded_ = false;
  bool provisioned_seed_ = false;  // whether each seed was there (never the seeds)
  bool boot_seed_ = false;
  Status boot_seed_saved_;
};

}  // namespace pmu::firmware
