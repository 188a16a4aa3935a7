// The configuration an operator keeps: the text saved in storage by the console's
// `config save` (one "key = value" line per key, secrets included), and the candidate
// configuration the console edits before saving it.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "pmu/base/result.h"
#include "pmu/firmware/config.h"
#include "pmu/hal/storage.h"

namespace pmu::firmware {

// Writes every key of `config` to storage; `bytes` receives the text's length.
// InvalidArgument when `config` breaks a rule between fields.
Status SaveConfig(hal::Storage& storage, const DeviceConfig& config, std::size_t* bytes);

// The saved text, read into `buffer`. kNotFound when nothing was saved (or the record
// is damaged).
Result<std::string_view> ReadSavedConfig(hal::Storage& storage, std::span<char> buffer);

class ConfigEditor {
 public:
  // Starts from the running configuration.
  ConfigEditor(const DeviceConfig& running, hal::Storage& storage)
      : running_(running), candidate_(running), storage_(storage) {}

  const DeviceConfig& running() const { return running_; }
  const DeviceConfig& candidate() const { return candidate_; }
  // Sets one key of the candidate; refused (and the candidate unchanged) when the value
  // is invalid or breaks a rule between fields. `key` null in the error: unknown key.
  ConfigError Set(std::string_view key, std::string_view value);
  // Saves the candidate; a reboot applies it.
  Status Save(std::size_t* bytes) { return SaveConfig(storage_, candidate_, bytes); }

 private:
  const DeviceConfig& running_;
  DeviceConfig candidate_;
  hal::Storage& storage_;
};

}  // namespace pmu::firmware
