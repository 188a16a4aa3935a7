#include "pmu/firmware/profile.h"

namespace pmu::firmware {
namespace {

// Whole sentences at compile time: a configuration error's reason is static text.
#define PMU_LEFT_OUT(what) "is for " what ", which profile '" PMU_PROFILE_NAME "' leaves out of this image"
constexpr const char* kLeftOut[] = {
    PMU_LEFT_OUT("the bulletin channel"),
    PMU_LEFT_OUT("the WebSocket service"),
    PMU_LEFT_OUT("COMTRADE and scenario playback"),
    PMU_LEFT_OUT("the TLS services (the TLS command service and the console)"),
    PMU_LEFT_OUT("the SNTP client"),
    PMU_LEFT_OUT("PTP over Ethernet"),
};
#undef PMU_LEFT_OUT

constexpr const char* kNames[] = {"the bulletin channel", "the WebSocket service", "COMTRADE and scenario playback",
                                  "the TLS services (the TLS command service and the console)", "the SNTP client",
                                  "PTP over Ethernet"};

struct KeyPrefix {
  std::string_view prefix;
  OptionalService service;
};
constexpr KeyPrefix kPrefixes[] = {
    {"bulletin.", OptionalService::kBulletin},
    {"ws.", OptionalService::kWebSocket},
    {"comtrade.", OptionalService::kPlayback},
    {"scenario.", OptionalService::kPlayback},
    {"tls.", OptionalService::kTls},
    {"console.", OptionalService::kTls},
    {"sntp.", OptionalService::kSntp},
};

}  // namespace

const char* OptionalServiceName(OptionalService s) { return kNames[static_cast<unsigned>(s)]; }

const char* LeftOutReason(OptionalService s) { return kLeftOut[static_cast<unsigned>(s)]; }

bool IsLeftOutReason(const char* reason) {
  for (const char* r : kLeftOut) {
    if (reason == r) return true;
  }
  return false;
}

bool ServiceOfKey(std::string_view key, OptionalService* service) {
  for (const KeyPrefix& p : kPrefixes) {
    if (key.substr(0, p.prefix.size()) == p.prefix) {
      *service = p.service;
      return true;
    }
  }
  return false;
}

const char* KeyLeftOut(std::string_view key, ServiceSet image) {
  OptionalService s;
  if (!ServiceOfKey(key, &s) || (image & ServiceBit(s)) != 0) return nullptr;
  return LeftOutReason(s);
}

}  // namespace pmu::firmware
