#include "pmu/firmware/boot.h"

#include <cstring>

#include "pmu/firmware/config_store.h"
#include "pmu/firmware/device.h"
#include "pmu/firmware/text_scratch.h"

namespace pmu::firmware {
namespace {

constexpr const char* kTag = "config";
constexpr const char* kEntropyTag = "entropy";
constexpr const char* kTlsTag = "tls";

// Applies a source to a copy of `config` and keeps it when the result is valid. A
// source is a function of the trial configuration and its text.
using ApplyFn = ConfigError (*)(DeviceConfig& trial, const BootSources& sources, std::string_view text);

ConfigSourceOutcome Layer(DeviceConfig& config, const char* origin, std::string_view text, ApplyFn apply,
                          const BootSources& sources) {
  ConfigSourceOutcome out;
  out.origin = origin;
  out.bytes = text.size();
  DeviceConfig trial = config;
  ConfigError e = apply(trial, sources, text);
  if (e.ok()) e = ValidateConfig(trial);
  if (!e.ok()) {
    out.kind = ConfigSourceOutcome::Kind::kRefused;
    out.line = e.line;
    out.why = DescribeConfigError(e);
    return out;
  }
  config = trial;
  out.kind = ConfigSourceOutcome::Kind::kApplied;
  return out;
}

ConfigError ApplyText(DeviceConfig& trial, const BootSources&, std::string_view text) {
  return ParseConfigText(text, trial);
}

ConfigError ApplyOverrides(DeviceConfig& trial, const BootSources& sources, std::string_view) {
  for (const ConfigOverride& o : sources.overrides) {
    if (const ConfigError e = SetConfigValue(trial, o.key, o.value); !e.ok()) return e;
  }
  return {};
}

}  // namespace

ConfigLoad LoadConfig(hal::Storage& storage, const BootSources& sources) {
  ConfigLoad load;
  LoadConfigInto(storage, sources, load);
  return load;
}

void LoadConfigInto(hal::Storage& storage, const BootSources& sources, ConfigLoad& load) {
  DeviceConfig& config = load.config;
  if (!sources.provisioned_config.empty()) {
    load.provisioned =
        Layer(config, sources.provisioned_origin, sources.provisioned_config, &ApplyText, sources);
  }
  {
    TextScratch scratch;
    const Result<std::string_view> saved = ReadSavedConfig(storage, scratch.bytes());
    if (saved.ok()) {
      load.saved = Layer(config, "the configuration saved in storage", *saved, &ApplyText, sources);
    }
  }
  if (!sources.overrides.empty()) {
    load.overrides = Layer(config, sources.overrides_origin, {}, &ApplyOverrides, sources);
  }
}

FixedString<320> DescribeRefusal(const ConfigSourceOutcome& outcome) {
  FixedString<320> text;
  text.Format("invalid configuration in %s", outcome.origin);
  if (outcome.line != 0) text.Format(" line %u", outcome.line);
  text.Format(": %s", outcome.why.c_str());
  return text;
}

const ConfigLoad& Boot::Prepare(const BootSources& sources) {
  LoadConfigInto(storage_, sources, load_);  // Prepare runs once, on a fresh Boot
#if PMU_WITH_TLS
  identity_ = ProvisionIdentity(storage_, sources.factory_identity);
#endif
  return load_;
}

Status Boot::SeedEntropy(port::DrbgEntropy& drbg, hal::Entropy& noise, hal::SeedStore& seeds,
                         const MacAddress& mac) {
  // The DRBG's personalisation is the provisioned seed, the seed the last boot left
  // and the MAC; its entropy input is the noise. Then the boot seed is renewed from
  // the DRBG, so the next boot starts from a different state.
  hal::StoredSeeds stored = seeds.Read();
  provisioned_seed_ = stored.provisioned_present;
  boot_seed_ = stored.boot_present;
  std::byte material[16 + 2 * hal::kSeedSize + 6];
  std::memcpy(material, "pmu seed v1\0\0\0\0\0", 16);
  std::memcpy(material + 16, stored.provisioned.data(), hal::kSeedSize);
  std::memcpy(material + 16 + hal::kSeedSize, stored.boot.data(), hal::kSeedSize);
  std::memcpy(material + 16 + 2 * hal::kSeedSize, mac.octets.data(), 6);
  const Status s = drbg.Start(noise, ByteSpan(material, sizeof(material)));
  std::memset(material, 0, sizeof(material));
  std::memset(stored.provisioned.data(), 0, hal::kSeedSize);
  std::memset(stored.boot.data(), 0, hal::kSeedSize);
  PMU_TRY(s);
  hal::Seed next{};
  PMU_TRY(drbg.Fill(MutableByteSpan(next.data(), next.size())));
  boot_seed_saved_ = seeds.WriteBootSeed(next);
  std::memset(next.data(), 0, next.size());
  entropy_seeded_ = true;
  return Status::Ok();
}

void Boot::Report(Logger& log) const {
  using Kind = ConfigSourceOutcome::Kind;
  const ConfigSourceOutcome* sources[] = {&load_.provisioned, &load_.saved, &load_.overrides};
  bool any = false;
  for (const ConfigSourceOutcome* o : sources) {
    if (o->kind == Kind::kApplied) {
      any = true;
      if (o->bytes != 0) {
        PMU_LOG_INFO(log, kTag, "configuration from %s (%u bytes)", o->origin, static_cast<unsigned>(o->bytes));
      } else {
        PMU_LOG_INFO(log, kTag, "configuration from %s", o->origin);
      }
    } else if (o->kind == Kind::kRefused) {
      PMU_LOG_ERROR(log, kTag, "%s; ignored", DescribeRefusal(*o).c_str());
    }
  }
  if (!any) PMU_LOG_INFO(log, kTag, "running with the built-in defaults");
  switch (identity_.kind) {
    case ProvisionOutcome::Kind::kNothing:
      break;
    case ProvisionOutcome::Kind::kProvisioned:
    case ProvisionOutcome::Kind::kKept:
      PMU_LOG_INFO(log, kTlsTag, "%s", identity_.detail);
      break;
    case ProvisionOutcome::Kind::kInvalid:
      PMU_LOG_ERROR(log, kTlsTag, "%s; no TLS identity provisioned", identity_.detail);
      break;
  }
  if (entropy_seeded_) {
    PMU_LOG_INFO(log, kEntropyTag, "DRBG seeded from %s provisioned seed, %s and timer jitter; boot seed %s",
                 provisioned_seed_ ? "the" : "NO (blank)",
                 boot_seed_ ? "the previous boot's seed" : "no previous boot seed (first boot)",
                 boot_seed_saved_.ok() ? "renewed" : "NOT renewed");
    if (!boot_seed_saved_.ok()) {
      PMU_LOG_WARN(log, kEntropyTag, "the boot seed could not be saved: %s; the next boot starts from the same "
                   "stored seeds (and new timer jitter)", boot_seed_saved_.message());
    }
    if (!provisioned_seed_) {
      PMU_LOG_WARN(log, kEntropyTag, "no provisioned seed: randomness rests on timer jitter only; do not generate "
                   "keys on this device (docs/BOARD.md)");
    }
  }
}

Status Boot::Start(Device& device) {
  Report(device.logger());
  return device.Start();
}

}  // namespace pmu::firmware
