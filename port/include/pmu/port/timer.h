// A one-shot timer of lwIP's timer list (sys_timeout), for services that act on their
// own schedule (bulletins, C37 subscriptions) rather than on a connection's events.
// Context: main loop only; the callback runs from the main loop's timer pass.
#pragma once

#include <cstdint>

namespace pmu::port {

class Timer {
 public:
  using Callback = void (*)(void* context);

  Timer() = default;
  ~Timer() { Stop(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Calls `callback(context)` once, `ms` from now (restarting a running timer).
  void Start(std::uint32_t ms, Callback callback, void* context);
  void Stop();
  bool running() const { return running_; }

 private:
  static void Fire(void* self);
  Callback callback_ = nullptr;
  void* context_ = nullptr;
  bool running_ = false;
};

}  // namespace pmu::port
