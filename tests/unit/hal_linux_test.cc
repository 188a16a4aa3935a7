#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <string>

#include "pmu/hal/linux/host_devices.h"
#include "pmu/hal/linux/memory_storage.h"

namespace pmu::hal::linux_host {
namespace {

TEST(HostEntropy, SeededIsReproducibleUnseededIsNot) {
  HostEntropy a(42), b(42), c(43), sys1, sys2;
  std::array<std::byte, 37> x{}, y{}, z{}, s1{}, s2{};
  ASSERT_TRUE(a.Fill(x).ok());
  ASSERT_TRUE(b.Fill(y).ok());
  ASSERT_TRUE(c.Fill(z).ok());
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  ASSERT_TRUE(sys1.Fill(s1).ok());
  ASSERT_TRUE(sys2.Fill(s2).ok());
  EXPECT_NE(s1, s2);
}

TEST(FileStorage, PersistsAcrossOpens) {
  char path[] = "/tmp/pmu-storage-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    FileStorage s;
    ASSERT_TRUE(s.Open(path, 4096).ok());
    std::array<std::byte, 4> erased{};
    ASSERT_TRUE(s.Read(100, erased).ok());
    EXPECT_EQ(erased[0], std::byte{0xFF});  // never written reads as erased flash
    ASSERT_TRUE(s.Write(10, AsBytes("boot")).ok());
    EXPECT_EQ(s.Write(4094, AsBytes("xyz")).code(), StatusCode::kOutOfRange);
  }
  {
    FileStorage s;
    ASSERT_TRUE(s.Open(path, 4096).ok());
    std::array<char, 4> back{};
    ASSERT_TRUE(s.Read(10, AsWritableBytes(back.data(), 4)).ok());
    EXPECT_EQ(std::string(back.data(), 4), "boot");
    EXPECT_EQ(s.Read(4096, AsWritableBytes(back.data(), 1)).code(), StatusCode::kOutOfRange);
  }
  unlink(path);
}

TEST(MemoryStorage, Bounds) {
  MemoryStorage m(16);
  EXPECT_TRUE(m.Write(12, AsBytes("abcd")).ok());
  EXPECT_FALSE(m.Write(13, AsBytes("abcd")).ok());
  EXPECT_FALSE(m.Write(SIZE_MAX, AsBytes("a")).ok());
}

TEST(HostClock, MonotonicDoesNotGoBack) {
  HostClock c;
  const auto a = c.MonotonicNs();
  const auto b = c.MonotonicNs();
  EXPECT_LE(a, b);
  EXPECT_GT(c.UtcNs(), 1'600'000'000LL * 1'000'000'000);  // after 2020
}

}  // namespace
}  // namespace pmu::hal::linux_host
