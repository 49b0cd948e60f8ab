#include "merged_mining.hpp"

#include <variant>

#include "alys/domain/compact.hpp"
#include "alys/domain/sha256.hpp"

namespace alys::chain {

using namespace bitcoin_rpc;

namespace {

constexpr std::size_t kHandedOutLimit = 64;

std::string bits_hex(std::uint32_t bits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, bits >>= 4) out[static_cast<std::size_t>(i)] = kDigits[bits & 0xf];
  return out;
}

}  // namespace

Hash32 range_commitment(const std::vector<Hash32>& hashes) {
  Bytes all;
  all.reserve(hashes.size() * 32);
  for (const Hash32& hash : hashes) all.insert(all.end(), hash.begin(), hash.end());
  return sha256d(all);
}

PowState advance(const PowSpec& spec, const PowState& state, std::uint64_t block_ms) {
  PowState next = state;
  next.auxpow_height = state.auxpow_height + 1;
  const std::uint64_t interval = spec.retarget.interval_blocks;
  if (interval != 0 && next.auxpow_height % interval == 0) {
    next.bits = next_bits(spec.retarget, state.bits,
                          static_cast<std::int64_t>(state.window_start_ms / 1000),
                          static_cast<std::int64_t>(block_ms / 1000));
    next.window_start_ms = block_ms;
  }
  return next;
}

void MergedMining::set_unfinalized(std::uint64_t first_height, std::vector<Hash32> hashes) {
  first_height_ = first_height;
  unfinalized_.assign(hashes.begin(), hashes.end());
}

void MergedMining::block_added(std::uint64_t height, const Hash32& hash) {
  if (unfinalized_.empty()) first_height_ = height;
  unfinalized_.push_back(hash);
}

std::optional<std::vector<Hash32>> MergedMining::range_hashes(std::uint64_t start,
                                                              std::uint64_t end) const {
  if (start < first_height_ || end < start || end - first_height_ >= unfinalized_.size())
    return std::nullopt;
  return std::vector<Hash32>(
      unfinalized_.begin() + static_cast<std::ptrdiff_t>(start - first_height_),
      unfinalized_.begin() + static_cast<std::ptrdiff_t>(end - first_height_ + 1));
}

std::variant<Work, MiningError> MergedMining::create_work(const EthAddress& fee_recipient) {
  if (unfinalized_.empty())
    return MiningError{kMiscError, "nothing to finalize: every block is finalized already"};
  Work work;
  work.range_start = first_height_;
  work.range_end = first_height_ + unfinalized_.size() - 1;
  work.aux_hash = range_commitment({unfinalized_.begin(), unfinalized_.end()});
  work.bits = state_.bits;
  work.fee_recipient = fee_recipient;
  if (!handed_out_.contains(work.aux_hash)) {
    handed_out_order_.push_back(work.aux_hash);
    if (handed_out_order_.size() > kHandedOutLimit) {
      handed_out_.erase(handed_out_order_.front());
      handed_out_order_.pop_front();
    }
  }
  handed_out_[work.aux_hash] = work;
  return work;
}

std::optional<MiningError> MergedMining::submit(std::string_view hash_display,
                                                std::string_view auxpow_hex) {
  auto display = fixed_from_hex<32>(hash_display);
  if (!display) return MiningError{kInvalidParameter, "hash must be 64 hex digits"};
  const Hash32 aux_hash = reversed(*display);
  auto found = handed_out_.find(aux_hash);
  if (found == handed_out_.end())
    return MiningError{kInvalidParameter,
                       "unknown aux block hash " + std::string(hash_display) +
                           ": not handed out by createauxblock, or already finalized"};
  const Work work = found->second;
  auto current = range_hashes(work.range_start, work.range_end);
  if (work.range_start != first_height_ || !current || range_commitment(*current) != aux_hash)
    return MiningError{kInvalidParameter, "stale work: blocks " + std::to_string(work.range_start) +
                                              ".." + std::to_string(work.range_end) +
                                              " are no longer the unfinalized range"};
  auto bytes = from_hex(auxpow_hex);
  if (!bytes || bytes->empty()) return MiningError{kDeserializationError, "auxpow is not hex"};
  AuxPow auxpow;
  try {
    auxpow = AuxPow::parse(*bytes);
  } catch (const std::exception& error) {
    return MiningError{kDeserializationError, std::string("malformed auxpow: ") + error.what()};
  }
  if (auto reason =
          check_auxpow(auxpow, aux_hash, spec_.chain_id, spec_.strict_chain_id, spec_.commitment))
    return MiningError{kVerifyError, "invalid auxpow: " + *reason};
  if (!parent_meets_bits(auxpow, work.bits))
    return MiningError{kVerifyError, "insufficient work: the parent block hash " +
                                         to_hex(reversed(auxpow.parent.hash())) +
                                         " does not meet bits " + bits_hex(work.bits)};
  queued_ =
      AuxPowHeader{work.range_start,         work.range_end, work.bits,         spec_.chain_id,
                   state_.auxpow_height + 1, *bytes,         work.fee_recipient};
  return std::nullopt;
}

std::optional<AuxPowHeader> MergedMining::queued_header(std::uint64_t height) const {
  if (!queued_ || queued_->range_start != first_height_ || queued_->range_end >= height ||
      queued_->height != state_.auxpow_height + 1 || queued_->bits != state_.bits)
    return std::nullopt;
  return queued_;
}

std::optional<std::string> MergedMining::offer(const AuxPowHeader& header,
                                               std::uint64_t block_height) {
  if (auto usable = queued_header(block_height); usable && usable->range_end >= header.range_end)
    return "the AuxPoW queued here finalizes up to " + std::to_string(usable->range_end) +
           " already";
  if (auto reason = check_header(header, block_height)) return reason;
  queued_ = header;
  return std::nullopt;
}

bool MergedMining::mine_locally(std::uint64_t max_attempts, const EthAddress& fee_recipient) {
  auto created = create_work(fee_recipient);
  if (!std::holds_alternative<Work>(created)) return false;
  const Work& work = std::get<Work>(created);
  AuxPow auxpow = make_auxpow(work.aux_hash, spec_.chain_id, spec_.commitment);
  if (!mine_auxpow(auxpow, work.bits, max_attempts)) return false;
  queued_ = AuxPowHeader{work.range_start,         work.range_end,     work.bits,    spec_.chain_id,
                         state_.auxpow_height + 1, auxpow.serialize(), fee_recipient};
  return true;
}

std::optional<std::string> MergedMining::check_header(const AuxPowHeader& header,
                                                      std::uint64_t block_height) const {
  if (header.range_start != first_height_)
    return "the range starts at " + std::to_string(header.range_start) +
           ", but the first unfinalized block is " + std::to_string(first_height_);
  if (header.range_end < header.range_start || header.range_end >= block_height)
    return "the range ends at " + std::to_string(header.range_end) +
           ", which is not between its start and the block's parent";
  auto hashes = range_hashes(header.range_start, header.range_end);
  if (!hashes)
    return "blocks " + std::to_string(header.range_start) + ".." +
           std::to_string(header.range_end) + " are not all known here";
  if (header.chain_id != spec_.chain_id)
    return "chain id " + std::to_string(header.chain_id) + ", expected " +
           std::to_string(spec_.chain_id);
  if (header.bits != state_.bits)
    return "bits " + bits_hex(header.bits) + ", expected " + bits_hex(state_.bits);
  if (header.height != state_.auxpow_height + 1)
    return "AuxPoW height " + std::to_string(header.height) + ", expected " +
           std::to_string(state_.auxpow_height + 1);
  AuxPow auxpow;
  try {
    auxpow = AuxPow::parse(header.auxpow);
  } catch (const std::exception& error) {
    return std::string("malformed auxpow: ") + error.what();
  }
  const Hash32 aux_hash = range_commitment(*hashes);
  if (auto reason =
          check_auxpow(auxpow, aux_hash, spec_.chain_id, spec_.strict_chain_id, spec_.commitment))
    return "invalid auxpow: " + *reason;
  if (!parent_meets_bits(auxpow, header.bits))
    return "insufficient work for bits " + bits_hex(header.bits);
  return std::nullopt;
}

void MergedMining::finalized(const AuxPowHeader& header, std::uint64_t block_ms) {
  while (!unfinalized_.empty() && first_height_ <= header.range_end) {
    unfinalized_.pop_front();
    ++first_height_;
  }
  if (unfinalized_.empty()) first_height_ = header.range_end + 1;
  state_ = advance(spec_, state_, block_ms);
  queued_.reset();
  handed_out_.clear();
  handed_out_order_.clear();
}

MiningSnapshot MergedMining::save() const {
  MiningSnapshot snapshot;
  snapshot.state = state_;
  snapshot.first_unfinalized_height = first_height_;
  snapshot.unfinalized.assign(unfinalized_.begin(), unfinalized_.end());
  for (const Hash32& aux_hash : handed_out_order_)
    snapshot.handed_out.push_back(handed_out_.at(aux_hash));
  snapshot.has_queued = queued_.has_value();
  if (queued_) snapshot.queued = *queued_;
  return snapshot;
}

void MergedMining::load(const MiningSnapshot& snapshot) {
  state_ = snapshot.state;
  first_height_ = snapshot.first_unfinalized_height;
  unfinalized_.assign(snapshot.unfinalized.begin(), snapshot.unfinalized.end());
  handed_out_.clear();
  handed_out_order_.clear();
  for (const Work& work : snapshot.handed_out) {
    if (handed_out_.contains(work.aux_hash)) continue;
    handed_out_order_.push_back(work.aux_hash);
    handed_out_[work.aux_hash] = work;
  }
  while (handed_out_order_.size() > kHandedOutLimit) {
    handed_out_.erase(handed_out_order_.front());
    handed_out_order_.pop_front();
  }
  queued_ = snapshot.has_queued ? std::optional<AuxPowHeader>(snapshot.queued) : std::nullopt;
}

}  // namespace alys::chain
