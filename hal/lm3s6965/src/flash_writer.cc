#include "pmu/hal/lm3s6965/flash_writer.h"

#include <cstring>

#include "pmu/hal/cortex_m/cortex_m3.h"

namespace pmu::hal::lm3s6965 {
namespace {

using namespace cortex_m;

constexpr std::uintptr_t kFma = 0x400FD000;
constexpr std::uintptr_t kFmd = 0x400FD004;
constexpr std::uintptr_t kFmc = 0x400FD008;
constexpr std::uint32_t kFmcKey = 0xA442u << 16;
constexpr std::uint32_t kFmcWrite = 1u << 0;
constexpr std::uint32_t kFmcErase = 1u << 1;
constexpr std::uintptr_t kFlashEnd = 256 * 1024;
// A word programs in ~50 us, a page erases in ~20 ms: the bounds are far above both.
constexpr int kWaitLoops = 5'000'000;

// The page being rewritten: static, since 1 KiB is too much for a stack sized from
// measurement, and writes happen in the main loop only.
alignas(4) std::byte g_page[FlashAreaWriter::kPageSize];

bool Command(std::uint32_t bit) {
  Mmio(kFmc) = kFmcKey | bit;
  for (int i = 0; i < kWaitLoops; ++i) {
    if ((Mmio(kFmc) & bit) == 0) return true;
  }
  return false;
}

std::uint32_t FlashWord(std::uintptr_t address) { return *reinterpret_cast<const volatile std::uint32_t*>(address); }

bool ProgramWord(std::uintptr_t address, std::uint32_t value) {
  if (FlashWord(address) == value) return true;
  Mmio(kFma) = address;
  Mmio(kFmd) = value;
  return Command(kFmcWrite) && FlashWord(address) == value;
}

bool Erased(std::uintptr_t page) {
  for (std::uintptr_t a = page; a < page + FlashAreaWriter::kPageSize; a += 4) {
    if (FlashWord(a) != 0xFFFFFFFFu) return false;
  }
  return true;
}

bool ErasePage(std::uintptr_t page) {
  if (Erased(page)) return true;
  Mmio(kFma) = page;
  return Command(kFmcErase) && Erased(page);
}

// Whether programming `data` over what is at `at` needs no erase (flash only clears bits).
bool OnlyClearsBits(const std::byte* at, ByteSpan data) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if ((static_cast<std::uint8_t>(data[i]) & ~static_cast<std::uint8_t>(at[i])) != 0) return false;
  }
  return true;
}

bool ProgramPage(std::uintptr_t page, const std::byte* content) {
  for (std::size_t i = 0; i < FlashAreaWriter::kPageSize; i += 4) {
    std::uint32_t w;
    std::memcpy(&w, content + i, 4);
    if (w != 0xFFFFFFFFu && !ProgramWord(page + i, w)) return false;
  }
  return true;
}

}  // namespace

Status FlashAreaWriter::WritePage(std::uintptr_t page, std::size_t offset, ByteSpan data) {
  auto* current = reinterpret_cast<const std::byte*>(page);
  if (std::memcmp(current + offset, data.data(), data.size()) == 0) return Status::Ok();
  std::memcpy(g_page, current, kPageSize);
  std::memcpy(g_page + offset, data.data(), data.size());
  if (!OnlyClearsBits(current + offset, data) && !ErasePage(page)) {
    return Fail(DataLoss("flash page erase did not take (QEMU does not emulate the flash controller)"));
  }
  if (!ProgramPage(page, g_page) || std::memcmp(current, g_page, kPageSize) != 0) {
    return Fail(DataLoss("flash write did not read back (QEMU does not emulate the flash controller)"));
  }
  return Status::Ok();
}

Status FlashAreaWriter::Write(std::byte* at, ByteSpan data) {
  const auto address = reinterpret_cast<std::uintptr_t>(at);
  if (address + data.size() > kFlashEnd) return OutOfRange("flash write past the end of flash");
  std::size_t done = 0;
  while (done < data.size()) {
    const std::uintptr_t a = address + done;
    const std::uintptr_t page = a & ~(kPageSize - 1);
    const std::size_t offset = a - page;
    const std::size_t n = data.size() - done < kPageSize - offset ? data.size() - done : kPageSize - offset;
    PMU_TRY(WritePage(page, offset, data.subspan(done, n)));
    done += n;
  }
  return Status::Ok();
}

Status FlashAreaWriter::Erase(std::byte* at, std::size_t size) {
  std::byte ones[64];
  std::memset(ones, 0xFF, sizeof(ones));
  const auto address = reinterpret_cast<std::uintptr_t>(at);
  for (std::size_t done = 0; done < size;) {
    const std::uintptr_t a = address + done;
    const std::uintptr_t page = a & ~(kPageSize - 1);
    if (a == page && size - done >= kPageSize) {
      if (!ErasePage(page)) {
        return Fail(DataLoss("flash page erase did not take (QEMU does not emulate the flash controller)"));
      }
      done += kPageSize;
    } else {
      const std::size_t n = size - done < sizeof(ones) ? size - done : sizeof(ones);
      PMU_TRY(Write(at + done, ByteSpan(ones, n)));
      done += n;
    }
  }
  return Status::Ok();
}

}  // namespace pmu::hal::lm3s6965
