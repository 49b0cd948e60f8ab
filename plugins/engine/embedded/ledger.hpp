// The account ledger of the embedded engine: for each 20-byte address a nonce and a balance in wei.
//
// Ledger holds the head state. LedgerOverlay is a copy-on-write view over a Ledger: a payload is
// executed in an overlay, so the head is untouched until the payload is committed, and the overlay
// yields exactly the accounts it changed.
//
// State root (this project's own commitment, not Ethereum's Merkle-Patricia trie): keccak256 over
// the non-empty accounts sorted by address, each as address (20) || nonce (8, big-endian) ||
// balance (32, big-endian). An account with nonce 0 and balance 0 is empty: it is not stored and
// not committed to, exactly as if it never existed.
//
// Not thread-safe: one actor owns a ledger and its overlays. An overlay must not outlive its base.
#pragma once

#include <cstdint>
#include <map>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"

namespace alys::engine::embedded {

struct Account {
  std::uint64_t nonce = 0;
  Wei balance = 0;

  bool empty() const { return nonce == 0 && balance == 0; }
  bool operator==(const Account&) const = default;
};

// Accounts by address; a changed account mapped to its new value (empty: it no longer exists).
using AccountChanges = std::map<EthAddress, Account>;

// Read access to a state, the head's or an overlay's. An absent address reads as an empty account.
class AccountReader {
 public:
  virtual ~AccountReader() = default;
  virtual Account account(const EthAddress& address) const = 0;
};

class Ledger : public AccountReader {
 public:
  Account account(const EthAddress& address) const override;
  // Sets the account; an empty one is removed.
  void set(const EthAddress& address, const Account& account);
  // Applies what an overlay over this ledger (or an equal one) changed.
  void apply(const AccountChanges& changes);
  void clear() { accounts_.clear(); }

  Hash32 state_root() const;
  // Non-empty accounts only.
  std::size_t size() const { return accounts_.size(); }
  const std::map<EthAddress, Account>& accounts() const { return accounts_; }

  // Hand-over (hot swap): every account in address order (docs/engine.md, "Hot swap").
  void write_image(Writer& writer) const;
  // Replaces the accounts with an image write_image() wrote, in linear time. Throws DecodeError
  // (bytes cut short, addresses out of order, an empty account), and the ledger is empty then.
  void read_image(Reader& reader);

 private:
  std::map<EthAddress, Account> accounts_;
};

class LedgerOverlay : public AccountReader {
 public:
  explicit LedgerOverlay(const Ledger& base) : base_(base) {}

  Account account(const EthAddress& address) const override;
  void set(const EthAddress& address, const Account& account);

  // The accounts whose value differs from the base, with their new values.
  AccountChanges changes() const;
  // The state root of the base with the overlay's changes applied.
  Hash32 state_root() const;

 private:
  const Ledger& base_;
  std::map<EthAddress, Account> written_;  // includes empty accounts (deletions)
};

// The state root (see the file comment) of accounts given in ascending address order; empty
// accounts are skipped.
class StateRootHasher {
 public:
  void add(const EthAddress& address, const Account& account);
  Hash32 finish() const;

 private:
  Bytes preimage_;
};

}  // namespace alys::engine::embedded
