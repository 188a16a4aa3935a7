#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "pmu/base/crc32.h"
#include "pmu/firmware/config_store.h"
#include "pmu/firmware/storage_records.h"
#include "pmu/firmware/text_scratch.h"
#include "pmu/hal/linux/memory_storage.h"
#include "pmu/hal/power_cut_storage.h"

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
  // Flip one data byte of the only copy (A, after its 20-byte header): the CRC no
  // longer matches.
  std::byte b{};
  ASSERT_TRUE(storage.Read(0x0C00 + 20 + 3, MutableByteSpan(&b, 1)).ok());
  b ^= std::byte{1};
  ASSERT_TRUE(storage.Write(0x0C00 + 20 + 3, ByteSpan(&b, 1)).ok());
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

// Storage whose power is cut after `bytes` more bytes: the write that reaches the
// count writes only what fits, and nothing is written after it.
hal::PowerCutStorage Cut(hal::Storage& inner, std::size_t bytes) {
  hal::PowerCutStorage cut(inner);
  cut.Arm(bytes);
  return cut;
}

std::string Read(hal::Storage& storage, StorageRecord r) {
  std::string buf(StorageRecordCapacity(r), '\0');
  const auto n = ReadRecord(storage, r, AsWritableBytes(buf.data(), buf.size()));
  return n.ok() ? buf.substr(0, *n) : std::string("<absent>");
}

// What `cert install` does: the new certificate, the pending key as the device key,
// and no pending key, as one transaction.
Status Install(hal::Storage& storage, const std::string& cert, const std::string& key) {
  StorageTransaction t(storage);
  PMU_TRY(t.Write(StorageRecord::kDeviceCert, AsBytes(cert)));
  PMU_TRY(t.Write(StorageRecord::kDeviceKey, AsBytes(key)));
  PMU_TRY(t.Erase(StorageRecord::kPendingKey));
  return t.Commit();
}

TEST(PowerCutStorage, CutsAtTheArmedByteAndCounts) {
  hal::linux_host::MemoryStorage inner(64);
  struct Seen {
    int cuts = 0;
    std::size_t after = 0;
  } seen;
  hal::PowerCutStorage s(inner, [](std::size_t after, void* c) {
    auto* seen = static_cast<Seen*>(c);
    ++seen->cuts;
    seen->after = after;
  }, &seen);
  ASSERT_TRUE(s.Write(0, AsBytes("abcd")).ok());  // unarmed: through, counted
  EXPECT_EQ(s.writes(), 1u);
  EXPECT_EQ(s.bytes(), 4u);
  s.Arm(6);
  ASSERT_TRUE(s.Write(4, AsBytes("efgh")).ok());
  EXPECT_EQ(seen.cuts, 0);
  EXPECT_FALSE(s.Write(8, AsBytes("ijkl")).ok());  // reaches the count part-way
  EXPECT_EQ(seen.cuts, 1);
  EXPECT_EQ(seen.after, 6u);
  char got[12];
  ASSERT_TRUE(inner.Read(0, AsWritableBytes(got, sizeof(got))).ok());
  EXPECT_EQ(std::string(got, sizeof(got)), std::string("abcdefghij\xff\xff"));
  EXPECT_EQ(s.bytes(), 10u);
  // A count reached exactly at the end of a write cuts after it; 0 cuts at once.
  s.Arm(2);
  EXPECT_TRUE(s.Write(20, AsBytes("zz")).ok());
  EXPECT_EQ(seen.cuts, 2);
  s.Arm(0);
  EXPECT_FALSE(s.Write(30, AsBytes("y")).ok());
  EXPECT_EQ(seen.cuts, 3);
  EXPECT_EQ(seen.after, 0u);
}

TEST(StorageRecords, APowerCutAtAnyByteLeavesTheOldContentOrTheNew) {
  const std::string old_config = "hostname = old\n", new_config(3000, 'n');
  const std::string old_cert(900, 'c'), new_cert(950, 'C'), old_key(240, 'k'), pending(250, 'P');
  hal::linux_host::MemoryStorage base(kStorageBytesNeeded);
  ASSERT_TRUE(WriteRecord(base, StorageRecord::kConfig, AsBytes(old_config)).ok());
  ASSERT_TRUE(Install(base, old_cert, old_key).ok());
  ASSERT_TRUE(WriteRecord(base, StorageRecord::kPendingKey, AsBytes(pending)).ok());
  // How many bytes each operation writes when nothing cuts it.
  hal::linux_host::MemoryStorage probe = base;
  hal::PowerCutStorage whole(probe);  // unarmed: counts
  ASSERT_TRUE(WriteRecord(whole, StorageRecord::kConfig, AsBytes(new_config)).ok());
  const std::size_t save_bytes = whole.bytes();
  hal::PowerCutStorage whole_install(probe);
  ASSERT_TRUE(Install(whole_install, new_cert, pending).ok());
  const std::size_t install_bytes = whole_install.bytes();
  ASSERT_GT(save_bytes, new_config.size());

  for (std::size_t cut = 0; cut <= save_bytes; ++cut) {
    hal::linux_host::MemoryStorage s = base;
    hal::PowerCutStorage cutting = Cut(s, cut);
    const bool done = WriteRecord(cutting, StorageRecord::kConfig, AsBytes(new_config)).ok();
    const std::string got = Read(s, StorageRecord::kConfig);  // the next boot
    ASSERT_TRUE(got == old_config || got == new_config) << "config save cut after " << cut << " bytes";
    ASSERT_EQ(got == new_config, done) << "cut after " << cut << " bytes";
    // The next save, whole, works and wins.
    ASSERT_TRUE(WriteRecord(s, StorageRecord::kConfig, AsBytes("hostname = next\n")).ok());
    ASSERT_EQ(Read(s, StorageRecord::kConfig), "hostname = next\n");
    ASSERT_EQ(Read(s, StorageRecord::kDeviceCert), old_cert);
  }
  for (std::size_t cut = 0; cut <= install_bytes; ++cut) {
    hal::linux_host::MemoryStorage s = base;
    hal::PowerCutStorage cutting = Cut(s, cut);
    const bool done = Install(cutting, new_cert, pending).ok();
    const std::string cert = Read(s, StorageRecord::kDeviceCert), key = Read(s, StorageRecord::kDeviceKey),
                      pend = Read(s, StorageRecord::kPendingKey);
    const bool old_set = cert == old_cert && key == old_key && pend == pending;
    const bool new_set = cert == new_cert && key == pending && pend == "<absent>";
    ASSERT_TRUE(old_set || new_set) << "cert install cut after " << cut << " bytes: a mixed identity";
    ASSERT_EQ(new_set, done) << "cut after " << cut << " bytes";
    ASSERT_EQ(Read(s, StorageRecord::kConfig), old_config);
  }
}

TEST(StorageRecords, TheOtherCopyServesWhenTheCurrentOneRots) {
  hal::linux_host::MemoryStorage storage(kStorageBytesNeeded);
  ASSERT_TRUE(WriteRecord(storage, StorageRecord::kConfig, AsBytes("first\n")).ok());   // copy A
  ASSERT_TRUE(WriteRecord(storage, StorageRecord::kConfig, AsBytes("second\n")).ok());  // copy B
  EXPECT_EQ(Read(storage, StorageRecord::kConfig), "second\n");
  std::byte b{};
  ASSERT_TRUE(storage.Read(0x1C00 + 20, MutableByteSpan(&b, 1)).ok());
  b ^= std::byte{0x40};
  ASSERT_TRUE(storage.Write(0x1C00 + 20, ByteSpan(&b, 1)).ok());
  EXPECT_EQ(Read(storage, StorageRecord::kConfig), "first\n");
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
