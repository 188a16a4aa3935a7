// The one part of the handshake that hashes (SHA-1 through pmu_crypto), kept apart
// from websocket_handshake.cc so that the parsers are fuzzed without a hash backend.
#include "pmu/base/base64.h"
#include "pmu/crypto/sha1.h"
#include "pmu/proto/websocket_handshake.h"

namespace pmu::proto::websocket {

AcceptKey ComputeAcceptKey(std::string_view client_key) {
  crypto::Sha1 sha;
  sha.Update(AsBytes(client_key));
  sha.Update(AsBytes(kHandshakeGuid));
  const crypto::Sha1::Digest digest = sha.Finish();
  char text[kAcceptKeyLength];
  const std::size_t n = Base64Encode(AsBytes(digest.data(), digest.size()), text);
  return AcceptKey(std::string_view(text, n));
}

std::size_t WriteHandshakeResponse(const UpgradeRequest& request, std::span<char> out) {
  if (request.response == HttpStatus::kSwitchingProtocols) {
    return WriteAcceptResponse(ComputeAcceptKey(request.key), out);
  }
  return WriteRejectResponse(request.response, request.reason, out);
}

}  // namespace pmu::proto::websocket
