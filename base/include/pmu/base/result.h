// Result<T>: a value or the Status that explains why there is none.
//
// Accessing the value of a failed Result is a programming error and traps; check
// ok() first. No exceptions, no allocation.
#pragma once

#include <cstdlib>
#include <optional>
#include <utility>

#include "pmu/base/status.h"

namespace pmu {

template <typename T>
class [[nodiscard]] Result {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): a value converts to a Result.
  constexpr Result(T value) : value_(std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor): an error Status converts to a Result.
  constexpr Result(Status status) : status_(status) {
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "Result built from Ok status");
  }

  constexpr bool ok() const { return status_.ok(); }
  constexpr Status status() const { return status_; }

  constexpr T& value() & { Check(); return *value_; }
  constexpr const T& value() const& { Check(); return *value_; }
  constexpr T&& value() && { Check(); return std::move(*value_); }
  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }

  constexpr T value_or(T fallback) const { return ok() ? *value_ : fallback; }

 private:
  constexpr void Check() const {
    if (!status_.ok()) std::abort();
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace pmu

#define PMU_CONCAT_INNER_(a, b) a##b
#define PMU_CONCAT_(a, b) PMU_CONCAT_INNER_(a, b)
// Declares `lhs` from the value of a Result expression, or returns its Status.
#define PMU_ASSIGN_OR_RETURN(lhs, expr) \
  PMU_ASSIGN_OR_RETURN_IMPL_(PMU_CONCAT_(pmu_result_, __LINE__), lhs, expr)
#define PMU_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
