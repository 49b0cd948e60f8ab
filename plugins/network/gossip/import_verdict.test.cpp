#include "import_verdict.hpp"

#include <catch2/catch.hpp>

using alys::chain::ImportResult;
using alys::network::classify_import;
using alys::network::ImportVerdict;

namespace {
ImportResult with_code(const char* code) {
  ImportResult result;
  result.code = code;
  return result;
}
}  // namespace

TEST_CASE("import verdicts: the table of README.md") {
  ImportResult ok;
  ok.imported = true;
  CHECK(classify_import(ok) == ImportVerdict::accepted);
  ImportResult waiting;
  waiting.pending = true;
  CHECK(classify_import(waiting) == ImportVerdict::accepted);
  for (const char* code :
       {"bad_approval", "wrong_author", "payload_invalid", "payload_mismatch", "bad_auxpow",
        "wrong_timestamp", "missing_author_approval", "duplicate_approval", "unsupported_content",
        "wrong_height", "slot_not_after_parent", "missing_required_pow", "incomplete_certificate"})
    CHECK(classify_import(with_code(code)) == ImportVerdict::invalid);
  CHECK(classify_import(with_code("wrong_parent")) == ImportVerdict::behind);
  for (const char* code : {"stale_height", "already_imported", "busy", "slot_in_future",
                           "engine_timeout", "too_few_approvals", "a_code_from_a_newer_chain"})
    CHECK(classify_import(with_code(code)) == ImportVerdict::benign);
}
