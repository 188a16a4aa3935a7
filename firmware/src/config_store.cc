#include "pmu/firmware/config_store.h"

#include <cstdio>

#include "pmu/base/fixed_string.h"
#include "pmu/firmware/storage_records.h"
#include "pmu/firmware/text_scratch.h"

namespace pmu::firmware {

Status SaveConfig(hal::Storage& storage, const DeviceConfig& config, std::size_t* bytes) {
  if (const ConfigError e = ValidateConfig(config); !e.ok()) return InvalidArgument(e.reason);
  // Not on the stack: the console calls this under the TLS stack, and the board's main
  // stack is small.
  TextScratch scratch;
  const std::span<char> text = scratch.bytes().first(StorageRecordCapacity(StorageRecord::kConfig));
  std::size_t used = 0;
  for (std::size_t i = 0; i < ConfigKeyCount(); ++i) {
    ConfigValueText v;
    ConfigValueAt(config, i, v, /*reveal_secrets=*/true);
    const int n = std::snprintf(text.data() + used, text.size() - used, "%s = %s\n", ConfigKeyName(i), v.c_str());
    if (n < 0 || static_cast<std::size_t>(n) >= text.size() - used) {
      return ResourceExhausted("configuration text too long for its storage slot");
    }
    used += static_cast<std::size_t>(n);
  }
  *bytes = used;
  return WriteRecord(storage, StorageRecord::kConfig, AsBytes(std::string_view(text.data(), used)));
}

Result<std::string_view> ReadSavedConfig(hal::Storage& storage, std::span<char> buffer) {
  const Result<std::size_t> n =
      ReadRecord(storage, StorageRecord::kConfig, AsWritableBytes(buffer.data(), buffer.size()));
  if (!n.ok()) return n.status();
  return std::string_view(buffer.data(), *n);
}

ConfigError ConfigEditor::Set(std::string_view key, std::string_view value) {
  DeviceConfig trial = candidate_;
  ConfigError e = SetConfigValue(trial, key, value);
  if (e.ok()) e = ValidateConfig(trial);
  if (e.ok()) candidate_ = trial;
  return e;
}

}  // namespace pmu::firmware
