// StaticPool<T, N>: N slots for objects (service sessions) in static storage (the
// firmware has no heap, so its memory use is known at link time), with a run-time
// limit at or below N.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace pmu {

template <typename T, std::size_t N>
class StaticPool {
 public:
  StaticPool() = default;
  StaticPool(const StaticPool&) = delete;
  StaticPool& operator=(const StaticPool&) = delete;
  ~StaticPool() {
    for (std::size_t i = 0; i < N; ++i) {
      if (used_[i]) Slot(i)->~T();
    }
  }

  static constexpr std::size_t capacity() { return N; }
  void set_limit(std::size_t limit) { limit_ = limit < N ? limit : N; }
  std::size_t limit() const { return limit_; }
  std::size_t in_use() const { return in_use_; }
  std::size_t high_water() const { return high_water_; }

  // Constructs an object in a free slot; nullptr when the limit is reached.
  template <typename... Args>
  T* Acquire(Args&&... args) {
    if (in_use_ >= limit_) return nullptr;
    for (std::size_t i = 0; i < N; ++i) {
      if (!used_[i]) {
        used_[i] = true;
        ++in_use_;
        if (in_use_ > high_water_) high_water_ = in_use_;
        return new (storage_[i]) T(std::forward<Args>(args)...);
      }
    }
    return nullptr;
  }

  // Destroys an object acquired from this pool.
  void Release(T* object) {
    for (std::size_t i = 0; i < N; ++i) {
      if (used_[i] && Slot(i) == object) {
        object->~T();
        used_[i] = false;
        --in_use_;
        return;
      }
    }
  }

  template <typename Fn>
  void ForEach(Fn&& fn) {
    for (std::size_t i = 0; i < N; ++i) {
      if (used_[i]) fn(*Slot(i));
    }
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (std::size_t i = 0; i < N; ++i) {
      if (used_[i]) fn(*Slot(i));
    }
  }

 private:
  // Through void*: the storage is aligned for T (alignas below), which a cast from
  // unsigned char* cannot show the compiler (-Wcast-align on strict-alignment targets).
  T* Slot(std::size_t i) { return std::launder(static_cast<T*>(static_cast<void*>(storage_[i]))); }
  const T* Slot(std::size_t i) const {
    return std::launder(static_cast<const T*>(static_cast<const void*>(storage_[i])));
  }

  alignas(T) unsigned char storage_[N][sizeof(T)];
  bool used_[N] = {};
  std::size_t limit_ = N;
  std::size_t in_use_ = 0;
  std::size_t high_water_ = 0;
};

}  // namespace pmu
