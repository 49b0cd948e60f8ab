#include "engine/embedded/ledger.hpp"

#include "alys/domain/keccak.hpp"
#include "engine/embedded/state_image.hpp"

namespace alys::engine::embedded {

Account Ledger::account(const EthAddress& address) const {
  auto found = accounts_.find(address);
  return found == accounts_.end() ? Account{} : found->second;
}

void Ledger::set(const EthAddress& address, const Account& account) {
  if (account.empty())
    accounts_.erase(address);
  else
    accounts_[address] = account;
}

void Ledger::apply(const AccountChanges& changes) {
  for (const auto& [address, account] : changes) set(address, account);
}

Hash32 Ledger::state_root() const {
  StateRootHasher hasher;
  for (const auto& [address, account] : accounts_) hasher.add(address, account);
  return hasher.finish();
}

void Ledger::write_image(Writer& writer) const {
  writer.varint(accounts_.size());
  for (const auto& [address, account] : accounts_) {
    writer.write(address);
    writer.write(account.nonce);
    write_wei(writer, account.balance);
  }
}

void Ledger::read_image(Reader& reader) {
  accounts_.clear();
  try {
    std::size_t count = read_count(reader, 20 + 8 + 16, "accounts");
    for (std::size_t i = 0; i < count; ++i) {
      EthAddress address{};
      Account account;
      reader.read(address);
      reader.read(account.nonce);
      account.balance = read_wei(reader);
      if (!accounts_.empty() && !(accounts_.rbegin()->first < address))
        throw DecodeError("accounts out of order at " + to_0x_hex(address));
      if (account.empty()) throw DecodeError("empty account " + to_0x_hex(address) + " listed");
      accounts_.emplace_hint(accounts_.end(), address, account);
    }
  } catch (...) {
    accounts_.clear();
    throw;
  }
}

Account LedgerOverlay::account(const EthAddress& address) const {
  auto found = written_.find(address);
  return found == written_.end() ? base_.account(address) : found->second;
}

void LedgerOverlay::set(const EthAddress& address, const Account& account) {
  written_[address] = account;
}

AccountChanges LedgerOverlay::changes() const {
  AccountChanges changed;
  for (const auto& [address, account] : written_)
    if (base_.account(address) != account) changed.emplace(address, account);
  return changed;
}

Hash32 LedgerOverlay::state_root() const {
  // A merge of two address-ordered sequences: the overlay's value wins where both have one.
  StateRootHasher hasher;
  const auto& base = base_.accounts();
  auto b = base.begin();
  auto w = written_.begin();
  while (b != base.end() || w != written_.end()) {
    if (w == written_.end() || (b != base.end() && b->first < w->first)) {
      hasher.add(b->first, b->second);
      ++b;
    } else {
      if (b != base.end() && b->first == w->first) ++b;
      hasher.add(w->first, w->second);
      ++w;
    }
  }
  return hasher.finish();
}

void StateRootHasher::add(const EthAddress& address, const Account& account) {
  if (account.empty()) return;
  preimage_.insert(preimage_.end(), address.begin(), address.end());
  for (int shift = 56; shift >= 0; shift -= 8)
    preimage_.push_back(static_cast<std::uint8_t>(account.nonce >> shift));
  auto balance = wei_to_be32(account.balance);
  preimage_.insert(preimage_.end(), balance.begin(), balance.end());
}

Hash32 StateRootHasher::finish() const { return keccak256(preimage_); }

}  // namespace alys::engine::embedded
