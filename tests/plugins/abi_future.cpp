// abi_future: declares ABI 2.0, as a plugin built against a future SDK would. The host must refuse
// it from the manifest alone — so its static constructor below must never run.
#include <cstdio>
#include <cstdlib>

#include "alys/abi.h"

namespace {
struct Tripwire {
  Tripwire() {
    std::fputs("abi_future: plugin code ran before the ABI gate\n", stderr);
    std::abort();
  }
};
Tripwire tripwire;
}  // namespace

extern "C" __attribute__((visibility("default"))) const alys_manifest alys_plugin_manifest = {
    2u, 0u, sizeof(alys_manifest), 0u, 0u, 0u, "*", "alys-test-abi-future", "2.0.0", {}};
