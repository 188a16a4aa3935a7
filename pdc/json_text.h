// JSON string literals as every pdc output writes them: quotes and backslashes escaped,
// every byte outside printable ASCII as \u00XX, so station and channel names that
// arrive with control bytes or Latin-1 never break a line of JSON.
#pragma once

#include <string>
#include <string_view>

namespace pmu::pdc {

void AppendJsonString(std::string& out, std::string_view s);
std::string JsonString(std::string_view s);

}  // namespace pmu::pdc
