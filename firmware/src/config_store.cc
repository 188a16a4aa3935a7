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
  struct Text {
    std::span<char> buffer;
    std::size_t used = 0;
    bool overflow = false;
  } text{scratch.bytes().first(StorageRecordCapacity(StorageRecord::kConfig))};
  ForEachConfigValue(
      config,
      [](void* context, const char* key, std::string_view value) {
        auto& t = *static_cast<Text*>(context);
        if (t.overflow) return;  // a text without one of the keys must not be saved
        const std::size_t room = t.buffer.size() - t.used;
        const int n = std::snprintf(t.buffer.data() + t.used, room, "%s = %.*s\n", key, static_cast<int>(value.size()),
                                    value.data());
        if (n < 0 || static_cast<std::size_t>(n) >= room) {
          t.overflow = true;
        } else {
          t.used += static_cast<std::size_t>(n);
        }
      },
      &text);
  if (text.overflow) return ResourceExhausted("configuration text too long for its storage slot");
  const std::size_t used = text.used;
  *bytes = used;
  return WriteRecord(storage, StorageRecord::kConfig, AsBytes(std::string_view(text.buffer.data(), used)));
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
