// The host side of the ABI: the alys_host_api table handed to every plugin instance.
#pragma once

#include "alys/abi.h"

namespace alys::host {

// The table is constant and stateless (every call finds its runtime through the context), so one
// table serves every runtime in the process.
const alys_host_api* host_api_table();

}  // namespace alys::host
