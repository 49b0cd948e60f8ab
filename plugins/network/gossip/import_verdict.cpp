#include "import_verdict.hpp"

#include <array>
#include <string_view>

namespace alys::network {

namespace {

// Rules about the block's own content, signatures and place in its slot: no node state makes a
// block that breaks one of them valid. `wrong_height` (a height that does not follow its own
// parent) and `slot_not_after_parent` are of the same kind; `missing_required_pow` depends only on
// the chain below the block (finality is carried by blocks), and `incomplete_certificate` (a
// later round's block with less than a certificate) is never what an honest node sends.
constexpr std::array<std::string_view, 13> kInvalidCodes = {"bad_approval",
                                                            "wrong_author",
                                                            "payload_invalid",
                                                            "payload_mismatch",
                                                            "bad_auxpow",
                                                            "wrong_timestamp",
                                                            "missing_author_approval",
                                                            "duplicate_approval",
                                                            "unsupported_content",
                                                            "wrong_height",
                                                            "slot_not_after_parent",
                                                            "missing_required_pow",
                                                            "incomplete_certificate"};

}  // namespace

bool proves_block_invalid(std::string_view code) {
  for (std::string_view invalid : kInvalidCodes)
    if (code == invalid) return true;
  return false;
}

ImportVerdict classify_import(const chain::ImportResult& result) {
  if (result.imported || result.pending) return ImportVerdict::accepted;
  if (proves_block_invalid(result.code)) return ImportVerdict::invalid;
  // The parent is not our head: blocks between them are missing here.
  if (result.code == "wrong_parent") return ImportVerdict::behind;
  // stale_height, already_imported, busy, slot_in_future, too_few_approvals and codes this build
  // does not know: a peer is not punished for a rule we cannot name.
  return ImportVerdict::benign;
}

}  // namespace alys::network
