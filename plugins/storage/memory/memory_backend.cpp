#include "storage/memory/memory_backend.hpp"

namespace alys::storage {

MemoryBackend::MemoryBackend(std::map<Bytes, Bytes> entries) : entries_(std::move(entries)) {
  load();
}

std::optional<Bytes> MemoryBackend::get(ByteView key) const {
  auto found = entries_.find(Bytes(key.begin(), key.end()));
  if (found == entries_.end()) return std::nullopt;
  return found->second;
}

void MemoryBackend::write(const std::vector<BatchWrite>& batch) {
  for (const BatchWrite& one : batch) {
    if (one.value)
      entries_.insert_or_assign(one.key, *one.value);
    else
      entries_.erase(one.key);
  }
}

void MemoryBackend::scan(ByteView first,
                         const std::function<bool(ByteView key, ByteView value)>& visit) const {
  for (auto it = entries_.lower_bound(Bytes(first.begin(), first.end())); it != entries_.end();
       ++it)
    if (!visit(it->first, it->second)) return;
}

}  // namespace alys::storage
