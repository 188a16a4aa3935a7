#include "pmu/port/lwip_status.h"

namespace pmu::port {

Status FromLwipErr(err_t err) {
  switch (err) {
    case ERR_OK: return Status::Ok();
    case ERR_MEM: return ResourceExhausted("lwIP: out of memory");
    case ERR_BUF: return ResourceExhausted("lwIP: buffer error");
    case ERR_TIMEOUT: return DeadlineExceeded("lwIP: timeout");
    case ERR_RTE: return Unavailable("lwIP: no route");
    case ERR_INPROGRESS: return FailedPrecondition("lwIP: operation in progress");
    case ERR_VAL: return InvalidArgument("lwIP: illegal value");
    case ERR_WOULDBLOCK: return ResourceExhausted("lwIP: would block");
    case ERR_USE: return Status(StatusCode::kAlreadyExists, "lwIP: address in use");
    case ERR_ALREADY: return FailedPrecondition("lwIP: already connecting");
    case ERR_ISCONN: return FailedPrecondition("lwIP: already connected");
    case ERR_CONN: return Unavailable("lwIP: not connected");
    case ERR_IF: return Unavailable("lwIP: low-level netif error");
    case ERR_ABRT: return Status(StatusCode::kAborted, "lwIP: connection aborted");
    case ERR_RST: return Unavailable("lwIP: connection reset");
    case ERR_CLSD: return Unavailable("lwIP: connection closed");
    case ERR_ARG: return InvalidArgument("lwIP: illegal argument");
    default: return Internal("lwIP: unknown error");
  }
}

}  // namespace pmu::port
