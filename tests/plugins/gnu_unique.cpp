// An inline function with a static local: compiled normally it yields a GNU-unique ('u') symbol,
// which would pin a plugin in memory. The build check must reject that library and accept the same
// source built by alys_add_plugin (-fno-gnu-unique).
#include <string>

inline std::string& shared_name() {
  static std::string name = "pinned";
  return name;
}

extern "C" __attribute__((visibility("default"))) const char* alys_test_gnu_unique_name() {
  return shared_name().c_str();
}
