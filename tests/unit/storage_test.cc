#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "pmu/base/crc32.h"
#include "pmu/firmware/config_store.h"
#include "pmu/firmware/storage_records.h"
#include "pmu/firmware/text_scratch.h"
#include "pmu/hal/linux/memory_storage.h"

namespace pmu::firmware {
namespace {

TEST(Crc32, CheckValue) {
  EXPECT_EQ(Crc32(AsBytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(Crc32(AsBytes("")), 0u);
  EXPECT_EQ(Crc32(AsBytes("6789"), Crc32(AsBytes("12345"))), 0xCBF43926u);  // continued
}

TEST(StorageRecords, WriteReadEraseEach) {
  hal::linux_host::MemoryStorage storage(kStorageBytesNeeded);
  for (StorageRecord r : {StorageRecord::kConfig, StorageRecord::kTrustAnchor, StorageRecord::kDeviceCert,
                          StorageRecord::kDeviceKey, StorageRecord::kPendingKey}) {
    char buf[4096];
    EXPECT_EQ(ReadRecord(storage, r, AsWritableBytes(buf, sizeof(buf))).status().code(), StatusCode::kNotFound);
    const std::string data = std::string("record ") + StorageRecordName(r);
    ASSERT_TRUE(WriteRecord(storage, r, AsBytes(data)).ok());
    auto n = ReadRecord(storage, r, AsWritableBytes(buf, sizeof(buf)));
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::string_view(buf, *n), data);
    ASSERT_TRUE(EraseRecord(storage, r).ok());
    EXPECT_FALSE(ReadRecord(storage, r, AsWritableBytes(buf, sizeof(buf))).ok());
  }
}

TEST(StorageRecords, SlotsDoNotOverlap) {
  hal::linux_host::MemoryStorage storage(kStorageBytesNeeded);
  const StorageRecord all[] = {StorageRecord::kConfig, StorageRecord::kTrustAnchor, StorageRecord::kDeviceCert,
                               StorageRecord::kDeviceKey, StorageRecord::kPendingKey};
  for (StorageRecord r : all) {
    const std::string full(StorageRecordCapacity(r), static_cast<char>('a' + static_cast<int>(r)));
    ASSERT_TRUE(WriteRecord(storage, r, AsBytes(full)).ok()) << StorageRecordName(r);
  }
  for (StorageRecord r : all) {
    std::string buf(StorageRecordCapacity(r), '\0');
    auto n = ReadRecord(storage, r, AsWritableBytes(buf.data(), buf.size()));
    ASSERT_TRUE(n.ok()) << StorageRecordName(r);
    EXPECT_EQ(buf, std::string(StorageRecordCapacity(r), static_cast<char>('a' + static_cast<int>(r))));
  }
  const std::string too_big(StorageRecordCapacity(StorageRecord::kDeviceKey) + 1, 'x');
  EXPECT_EQ(WriteRecord(storage, StorageRecord::kDeviceKey, AsBytes(too_big)).code(), StatusCode::kOutOfRange);
}

TEST(StorageRecords, DamageReadsAsAbsent) {
  hal::linux_host::MemoryStorage storage(kStorageBytesNeeded);
  ASSERT_TRUE(WriteRecord(storage, StorageRecord::kConfig, AsBytes("hostname = pmu9\n")).ok());
  // Flip one data byte: the CRC no longer matches.
  std::byte b{};
  ASSERT_TRUE(storage.Read(0x1000 + 16 + 3, MutableByteSpan(&b, 1)).ok());
  b ^= std::byte{1};
  ASSERT_TRUE(storage.Write(0x1000 + 16 + 3, ByteSpan(&b, 1)).ok());
  char buf[64];
  auto n = ReadRecord(storage, StorageRecord::kConfig, AsWritableBytes(buf, sizeof(buf)));
  EXPECT_EQ(n.status().code(), StatusCode::kNotFound);
  // A buffer too small is an error of its own, not "absent".
  ASSERT_TRUE(WriteRecord(storage, StorageRecord::kConfig, AsBytes("hostname = pmu9\n")).ok());
  EXPECT_EQ(ReadRecord(storage, StorageRecord::kConfig, AsWritableBytes(buf, 4)).status().code(),
            StatusCode::kResourceExhausted);
  // Storage smaller than the layout: records that do not fit are absent.
  hal::linux_host::MemoryStorage small(0x1800);
  EXPECT_EQ(WriteRecord(small, StorageRecord::kDeviceCert, AsBytes("x")).code(), StatusCode::kOutOfRange);
}

TEST(SavedConfig, SavedTextParsesBackToTheSameConfiguration) {
  hal::linux_host::MemoryStorage storage(kStorageBytesNeeded);
  DeviceConfig c;
  ASSERT_TRUE(SetConfigValue(c, "hostname", "feeder-7").ok());
  ASSERT_TRUE(SetConfigValue(c, "reset.fernet_key", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=").ok());
  ASSERT_TRUE(SetConfigValue(c, "tls.allowed_clients", std::string(200, 'x')).ok());
  std::size_t bytes = 0;
  ASSERT_TRUE(SaveConfig(storage, c, &bytes).ok());
  char buffer[4096];
  const Result<std::string_view> text = ReadSavedConfig(storage, buffer);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->size(), bytes);
  EXPECT_EQ(std::count(text->begin(), text->end(), '\n'), static_cast<long>(ConfigKeyCount()));
  DeviceConfig back;
  ASSERT_TRUE(ParseConfigText(*text, back).ok());
  for (std::size_t i = 0; i < ConfigKeyCount(); ++i) {
    ConfigValueText a, b;
    ConfigValueAt(c, i, a, true);
    ConfigValueAt(back, i, b, true);
    EXPECT_EQ(a.view(), b.view()) << ConfigKeyName(i);
  }
}

TEST(TextScratch, ZeroedWhenGivenBackAndNeverTakenTwice) {
  char* seen = nullptr;
  {
    TextScratch scratch;
    seen = scratch.bytes().data();
    std::fill(scratch.bytes().begin(), scratch.bytes().end(), 'k');
  }
  EXPECT_TRUE(std::all_of(seen, seen + TextScratch::kSize, [](char ch) { return ch == 0; }));
  {
    TextScratch again;  // free again once the first went
    EXPECT_EQ(again.bytes().data(), seen);
  }
  EXPECT_DEATH(
      {
        TextScratch first;
        TextScratch second;
      },
      "");
}

}  // namespace
}  // namespace pmu::firmware
