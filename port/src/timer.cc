#include "pmu/port/timer.h"

#include "lwip/timeouts.h"

namespace pmu::port {

void Timer::Start(std::uint32_t ms, Callback callback, void* context) {
  Stop();
  callback_ = callback;
  context_ = context;
  sys_timeout(ms, &Timer::Fire, this);
  running_ = true;
}

void Timer::Stop() {
  if (!running_) return;
  sys_untimeout(&Timer::Fire, this);
  running_ = false;
}

void Timer::Fire(void* self) {
  auto* timer = static_cast<Timer*>(self);
  timer->running_ = false;
  timer->callback_(timer->context_);
}

}  // namespace pmu::port
