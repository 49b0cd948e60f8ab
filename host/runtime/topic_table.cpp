#include "host/runtime/topic_table.hpp"

#include <algorithm>

#include "alys/type_id.hpp"

namespace alys::host {

Status TopicTable::subscribe(alys_address subscriber, const std::string& topic) {
  if (topic.empty()) return Status::Invalid("a topic needs a name");
  std::lock_guard lock(mutex_);
  auto& list = subscribers_[topic_id(topic)];
  if (std::find(list.begin(), list.end(), subscriber) == list.end()) list.push_back(subscriber);
  return Status::Ok();
}

std::vector<alys_address> TopicTable::subscribers(std::uint64_t topic_id) const {
  std::lock_guard lock(mutex_);
  auto found = subscribers_.find(topic_id);
  return found == subscribers_.end() ? std::vector<alys_address>{} : found->second;
}

}  // namespace alys::host
