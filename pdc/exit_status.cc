#include "exit_status.h"

#include <exception>
#include <iostream>
#include <stdexcept>

#include "net.h"

namespace pmu::pdc {

int ReportFailure(const std::string& tool, const std::string& why, int status) {
  std::cerr << tool << ": " << why << "\n";
  return status;
}

int ReportCurrentException(const std::string& tool) {
  try {
    throw;
  } catch (const NetError& e) {
    return ReportFailure(tool, e.what(), kExitNetwork);
  } catch (const ProtocolError& e) {
    return ReportFailure(tool, e.what(), kExitProtocol);
  } catch (const std::invalid_argument& e) {
    return ReportFailure(tool, e.what(), kExitUsage);
  } catch (const std::exception& e) {
    return ReportFailure(tool, e.what(), kExitFailure);
  }
}

}  // namespace pmu::pdc
