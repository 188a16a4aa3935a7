#include "pmu/firmware/config_store.h"

#include "pmu/base/fixed_string.h"
#include "pmu/firmware/storage_records.h"

namespace pmu::firmware {

Status SaveConfig(hal::Storage& storage, const DeviceConfig& config, std::size_t* bytes) {
  if (const ConfigError e = ValidateConfig(config); !e.ok()) return InvalidArgument(e.reason);
  // Static, not on the stack: the console calls this under the TLS stack, and the
  // board's main stack is 8 KiB (main loop only, so never re-entered).
  static FixedString<4000> text;
  text.clear();
  for (std::size_t i = 0; i < ConfigKeyCount(); ++i) {
    ConfigValueText v;
    ConfigValueAt(config, i, v, /*reveal_secrets=*/true);
    text.Format("%s = %s\n", ConfigKeyName(i), v.c_str());
  }
  if (text.truncated()) return ResourceExhausted("configuration text too long for its storage slot");
  *bytes = text.size();
  return WriteRecord(storage, StorageRecord::kConfig, AsBytes(text.view()));
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
