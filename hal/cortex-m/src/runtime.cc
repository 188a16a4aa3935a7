// Start-up, fault handlers, reset and the library stubs every Cortex-M3 image of the
// project shares (the MPS2+ AN385 and the Stellaris LM3S6965). Written for this
// project from the ARMv7-M Architecture Reference Manual; no vendor start-up code.
// Each board's vector table (its interrupt map) lives with its drivers and points at
// pmu_reset_handler and pmu_fault_handler.
#include "pmu/hal/cortex_m/runtime.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

#include "pmu/hal/cortex_m/cortex_m3.h"
#include "pmu/hal/cortex_m/format.h"

extern "C" {
extern std::uint32_t __stack_bottom[], __stack_top[];
extern std::uint32_t __data_start[], __data_end[], __data_load[];
extern std::uint32_t __bss_start[], __bss_end[];
using InitFunction = void (*)();
extern InitFunction __preinit_array_start[], __preinit_array_end[];
extern InitFunction __init_array_start[], __init_array_end[];
void pmu_fault_report(std::uint32_t* frame, std::uint32_t exc_return);
}
int main();

namespace pmu::hal::cortex_m {

extern const std::uint32_t kStackFill;
const std::uint32_t kStackFill = 0x5AC3A55Cu;

namespace {

constexpr std::uint32_t kResetMagic = 0x52535431;  // "RST1"

// Survives a warm reset: .noinit is neither loaded nor cleared.
struct NoInitRecord {
  std::uint32_t magic;
  ResetRecord record;
  std::uint32_t check;
};
__attribute__((noinit)) NoInitRecord g_reset_record;
ResetRecord g_last_reset;  // copied from g_reset_record at start-up (zero: power-on)

std::uint32_t RecordCheck(const NoInitRecord& r) {
  std::uint32_t words[sizeof(ResetRecord) / 4];
  std::memcpy(words, &r.record, sizeof(words));
  std::uint32_t h = r.magic;
  for (std::uint32_t w : words) h = (h << 7 | h >> 25) ^ w;
  return ~h;
}

void SaveRecord(ResetCause cause, std::uint32_t exception, std::uint32_t pc, std::uint32_t lr) {
  ResetRecord r{};
  r.cause = cause;
  r.warm_resets = g_last_reset.warm_resets + 1;
  r.exception = exception;
  r.pc = pc;
  r.lr = lr;
  r.cfsr = Mmio(kScbCfsr);
  r.hfsr = Mmio(kScbHfsr);
  g_reset_record.record = r;
  g_reset_record.magic = kResetMagic;
  g_reset_record.check = RecordCheck(g_reset_record);
}

[[noreturn]] void SystemReset() {
  Dsb();
  // VECTKEY, keep PRIGROUP, SYSRESETREQ.
  Mmio(kScbAircr) = (0x05FAu << 16) | (Mmio(kScbAircr) & 0x0700u) | (1u << 2);
  Dsb();
  for (;;) {
  }
}

// Fault-context formatting: no printf, no allocation, nothing that could fault again.
struct Line {
  char text[128];
  std::size_t n = 0;
  void Put(std::string_view s) {
    for (char c : s) {
      if (n < sizeof(text)) text[n++] = c;
    }
  }
  void Hex(std::uint32_t v) {
    Put("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
      const char d = "0123456789abcdef"[(v >> shift) & 0xF];
      Put(std::string_view(&d, 1));
    }
  }
  void Dec(std::uint32_t v) {
    char digits[10];
    int k = 0;
    do {
      digits[k++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (k > 0) Put(std::string_view(&digits[--k], 1));
  }
  void Field(std::string_view name, std::uint32_t v) {
    Put(" ");
    Put(name);
    Put("=");
    Hex(v);
  }
  void Emit() {
    Put("\r\n");
    ConsoleWritePolled(std::string_view(text, n));
    n = 0;
  }
};

const char* ExceptionName(std::uint32_t exception) {
  switch (exception) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    default: return exception >= 16 ? "unexpected interrupt" : "unexpected exception";
  }
}

bool InRam(std::uintptr_t a, std::size_t n) { return a >= 0x20000000u && a + n <= 0x20400000u && a % 4 == 0; }
bool InCode(std::uintptr_t a) { return a < 0x00400000u; }

std::uint32_t CurrentException() {
  std::uint32_t ipsr;
  asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  return ipsr & 0x1FF;
}

}  // namespace

ResetRecord LastReset() { return g_last_reset; }

const char* ResetCauseName(ResetCause cause) {
  switch (cause) {
    case ResetCause::kPowerOn: return "power-on";
    case ResetCause::kRequested: return "reboot requested";
    case ResetCause::kFault: return "fault";
    case ResetCause::kAbort: return "abort";
  }
  return "?";
}

void Reboot(const char* why) {
  DisableIrq();
  Line l;
  l.Put("*** reboot: ");
  l.Put(why);
  l.Emit();
  SaveRecord(ResetCause::kRequested, 0, 0, 0);
  SystemReset();
}

void Fatal(const char* what) {
  DisableIrq();
  std::uint32_t lr;
  asm volatile("mov %0, lr" : "=r"(lr));
  Line l;
  l.Put("*** ABORT: ");
  l.Put(what);
  l.Emit();
  l.Put("*** rebooting");
  l.Emit();
  SaveRecord(ResetCause::kAbort, 0, 0, lr);
  SystemReset();
}

std::optional<std::int64_t> SemihostingTimeSeconds() {
  std::uint32_t result;
  // SYS_TIME (0x11), no argument block. Without a semihosting host the BKPT faults
  // and pmu_fault_report() makes it return 0xFFFFFFFF.
  asm volatile(
      "mov r0, #0x11\n"
      "mov r1, #0\n"
      "bkpt 0xAB\n"
      "mov %0, r0\n"
      : "=r"(result)
      :
      : "r0", "r1", "memory");
  if (result == 0xFFFFFFFFu) return std::nullopt;
  return static_cast<std::int64_t>(result);
}

void IdleUnless(bool (*ready)(void* context), void* context) {
  DisableIrq();
  if (!ready(context)) Wfi();
  EnableIrq();
}

}  // namespace pmu::hal::cortex_m

using namespace pmu::hal::cortex_m;

extern "C" void pmu_reset_handler() {
  // Before anything touches a static: .data from its copy in code memory, .bss zeroed.
  for (std::uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (std::uint32_t* p = __bss_start; p < __bss_end;) *p++ = 0;
  // Paint the stack below the current frame so StackHighWater() can measure it.
  std::uint32_t* sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  for (std::uint32_t* p = __stack_bottom; p < sp - 16;) *p++ = kStackFill;

  if (g_reset_record.magic == kResetMagic && g_reset_record.check == RecordCheck(g_reset_record)) {
    g_last_reset = g_reset_record.record;
  }
  g_reset_record.magic = 0;  // a power-on looks like "nothing recorded"

  // Separate fault handlers (not everything escalated to HardFault), so the report
  // names the fault; divide by zero traps instead of returning 0.
  Mmio(kScbShcsr) |= (1u << 16) | (1u << 17) | (1u << 18);
  Mmio(0xE000ED14) |= 1u << 4;  // CCR.DIV_0_TRP

  for (InitFunction* f = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  for (InitFunction* f = __init_array_start; f < __init_array_end; ++f) (*f)();
  main();
  Reboot("main returned");
}

// Picks the stack the exception frame was pushed on and reports from C++.
extern "C" __attribute__((naked)) void pmu_fault_handler() {
  asm volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "mov r1, lr\n"
      "b pmu_fault_report\n");
}

extern "C" void pmu_fault_report(std::uint32_t* frame, std::uint32_t exc_return) {
  const std::uint32_t exception = CurrentException();
  const auto frame_address = reinterpret_cast<std::uintptr_t>(frame);
  const bool frame_ok = InRam(frame_address, 32);
  // A semihosting call with no host attached: BKPT 0xAB escalated to HardFault. Make
  // the call return -1 and resume after it.
  if (exception == 3 && frame_ok && InCode(frame[6]) && frame[6] % 2 == 0 &&
      *reinterpret_cast<const std::uint16_t*>(frame[6]) == 0xBEAB) {
    frame[0] = 0xFFFFFFFFu;
    frame[6] += 2;
    Mmio(kScbHfsr) = kHfsrDebugEvt | kHfsrForced;
    Mmio(kScbDfsr) = kDfsrBkpt;
    return;
  }
  DisableIrq();
  Line l;
  l.Put("*** FAULT: ");
  l.Put(ExceptionName(exception));
  l.Put(" (exception ");
  l.Dec(exception);
  l.Put(")");
  if (frame_ok) {
    l.Put(" at");
    l.Field("PC", frame[6]);
    l.Field("LR", frame[5]);
  }
  l.Emit();
  if (frame_ok) {
    l.Put("***");
    l.Field("R0", frame[0]);
    l.Field("R1", frame[1]);
    l.Field("R2", frame[2]);
    l.Field("R3", frame[3]);
    l.Field("R12", frame[4]);
    l.Field("xPSR", frame[7]);
    l.Emit();
  }
  l.Put("***");
  l.Field("CFSR", Mmio(kScbCfsr));
  l.Field("HFSR", Mmio(kScbHfsr));
  l.Field("MMFAR", Mmio(kScbMmfar));
  l.Field("BFAR", Mmio(kScbBfar));
  l.Field("SP", static_cast<std::uint32_t>(frame_address));
  l.Field("EXC_RETURN", exc_return);
  l.Emit();
  l.Put("*** rebooting");
  l.Emit();
  SaveRecord(ResetCause::kFault, exception, frame_ok ? frame[6] : 0, frame_ok ? frame[5] : 0);
  SystemReset();
}

// ---- C and C++ library stubs --------------------------------------------------------
// No heap (memory use must be known at link time): newlib's malloc asks _sbrk for memory, and this one has
// none, so an accidental allocation is reported here rather than growing into the
// stack. operator new and delete have no business in the firmware at all.
extern "C" void* _sbrk(std::ptrdiff_t) { Fatal("heap use: malloc was called, and the firmware has no heap"); }
void* operator new(std::size_t) { Fatal("heap use: operator new"); }
void* operator new[](std::size_t) { Fatal("heap use: operator new[]"); }
void operator delete(void*) noexcept { Fatal("heap use: operator delete"); }
void operator delete(void*, std::size_t) noexcept { Fatal("heap use: operator delete"); }
void operator delete[](void*) noexcept { Fatal("heap use: operator delete[]"); }
void operator delete[](void*, std::size_t) noexcept { Fatal("heap use: operator delete[]"); }

extern "C" {
void abort() { Fatal("abort() called"); }
void _exit(int) { Fatal("exit() called"); }
void __cxa_pure_virtual() { Fatal("pure virtual call"); }
// Static objects live until the reset: their destructors are never registered.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle = nullptr;
}

// newlib's stdio, for the few paths that print to stderr (lwIP's assertion fallback
// before the device log exists): standard output and error go to the board's console
// UART, polled, so
// they work in any context; there are no files.
extern "C" {
int _write(int fd, const char* data, int length) {
  if (fd != 1 && fd != 2) {
    errno = EBADF;
    return -1;
  }
  ConsoleWritePolled(std::string_view(data, static_cast<std::size_t>(length)));
  return length;
}
int _read(int, char*, int) {
  errno = EBADF;
  return -1;
}
int _close(int) {
  errno = EBADF;
  return -1;
}
int _lseek(int, int, int) {
  errno = ESPIPE;
  return -1;
}
int _isatty(int fd) { return fd >= 0 && fd <= 2 ? 1 : 0; }
int _fstat(int fd, struct stat* st) {
  if (fd < 0 || fd > 2) {
    errno = EBADF;
    return -1;
  }
  std::memset(st, 0, sizeof(*st));
  st->st_mode = S_IFCHR;
  return 0;
}
}

// The printf family the firmware uses, with 'll' (see src/format.h).
extern "C" int vsnprintf(char* out, std::size_t size, const char* format, std::va_list args) {
  return pmu::hal::cortex_m::FormatV(out, size, format, args);
}
extern "C" int snprintf(char* out, std::size_t size, const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  const int n = pmu::hal::cortex_m::FormatV(out, size, format, args);
  va_end(args);
  return n;
}
