// A real Ethereum client (ethers v6) against a running dev node: what a wallet does to send funds,
// and the refusals it must see. Run by tests/integration/dev_chain.test.cpp:
//   node ethers_wallet.mjs <rpc url> <chain id> <funded secret key>
// Exits 0 when every check holds; otherwise prints the failed check and exits 1.
import { ethers } from "ethers";

const [url, chainIdText, fundedKey] = process.argv.slice(2);
const expectedChainId = BigInt(chainIdText);

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

// The node's answer must be a JSON-RPC error whose message contains `needle`, and the refusal must
// change no balance and no nonce.
async function refused(provider, label, needle, attempt, watched) {
  const before = await snapshot(provider, watched);
  let error = null;
  try {
    await attempt();
  } catch (e) {
    error = e;
  }
  check(error !== null, `${label}: refused`);
  const text = JSON.stringify(error.info ?? {}) + " " + (error.shortMessage ?? "") + " " +
      (error.message ?? "");
  check(text.includes(needle), `${label}: error names "${needle}" (got: ${text.slice(0, 300)})`);
  const after = await snapshot(provider, watched);
  check(JSON.stringify(before) === JSON.stringify(after), `${label}: changed nothing`);
}

async function snapshot(provider, addresses) {
  const out = {};
  for (const address of addresses) {
    out[address] = {
      balance: (await provider.getBalance(address, "latest")).toString(),
      nonce: await provider.getTransactionCount(address, "pending"),
    };
  }
  return out;
}

async function main() {
  // cacheTimeout -1: ethers otherwise answers a repeated call (the "pending" nonce) from a 250 ms
  // cache, and back-to-back sends would reuse a nonce, as they would against geth.
  const provider = new ethers.JsonRpcProvider(url, undefined,
                                              { pollingInterval: 250, cacheTimeout: -1 });
  const network = await provider.getNetwork();
  check(network.chainId === expectedChainId, `chain id is ${expectedChainId}`);
  const wallet = new ethers.Wallet(fundedKey, provider);
  const startBalance = await provider.getBalance(wallet.address);
  check(startBalance > 0n, `the dev account is funded (${ethers.formatEther(startBalance)} ETH)`);
  const startNonce = await provider.getTransactionCount(wallet.address, "latest");

  // Transfers as a wallet makes them: EIP-1559 by default, then one legacy (EIP-155).
  const recipients = [ethers.Wallet.createRandom(), ethers.Wallet.createRandom(),
                      ethers.Wallet.createRandom()];
  const values = [ethers.parseEther("1.5"), ethers.parseEther("0.25"), 12345n];
  const sent = [];
  for (let i = 0; i < recipients.length; ++i) {
    const request = { to: recipients[i].address, value: values[i] };
    if (i === 2) {
      request.type = 0;
      request.gasPrice = (await provider.getFeeData()).gasPrice;
    }
    sent.push(await wallet.sendTransaction(request));
  }
  let fees = 0n;
  for (let i = 0; i < sent.length; ++i) {
    const receipt = await sent[i].wait(1, 60_000);
    check(receipt.status === 1, `transfer ${i} mined in block ${receipt.blockNumber}`);
    check(receipt.gasUsed === 21000n, `transfer ${i} used 21000 gas`);
    fees += receipt.gasUsed * receipt.gasPrice;
    const mined = await provider.getTransaction(sent[i].hash);
    check(mined.blockHash === receipt.blockHash, `transfer ${i} is found by hash in its block`);
    const block = await provider.getBlock(receipt.blockNumber);
    check(block.hash === receipt.blockHash && block.transactions.includes(sent[i].hash),
          `block ${receipt.blockNumber} lists transfer ${i}`);
    const byHash = await provider.getBlock(receipt.blockHash);
    check(byHash.number === receipt.blockNumber, `block ${receipt.blockNumber} is found by hash`);
  }
  check(sent[2].type === 0, "the third transfer is legacy (type 0)");
  for (let i = 0; i < recipients.length; ++i) {
    const balance = await provider.getBalance(recipients[i].address);
    check(balance === values[i], `recipient ${i} holds ${values[i]} wei`);
  }
  const total = values.reduce((a, b) => a + b, 0n);
  const endBalance = await provider.getBalance(wallet.address);
  // The fee recipient of the dev chain is the dev account itself: it gets the priority fees back.
  const feeRecipientRefund = startBalance - total - fees <= endBalance;
  check(feeRecipientRefund && endBalance <= startBalance - total,
        "the sender paid the values and at most the fees");
  check(await provider.getTransactionCount(wallet.address, "latest") === startNonce + 3,
        "the sender's nonce advanced by 3");

  const watched = [wallet.address, recipients[0].address];

  // A bad signature: a valid type-2 transfer whose s is set beyond the curve order (re-encoded
  // with ethers' own RLP, so that the bytes stay well-formed whatever the original s was).
  const good = await wallet.signTransaction(await wallet.populateTransaction(
      { to: recipients[0].address, value: 1n, type: 2 }));
  const fields = ethers.decodeRlp("0x" + good.slice(4));
  fields[fields.length - 1] = "0x" + "ff".repeat(32);
  const forged = "0x02" + ethers.encodeRlp(fields).slice(2);
  await refused(provider, "bad signature", "signature",
                () => provider.broadcastTransaction(forged), watched);

  // A reused nonce.
  const reused = await wallet.signTransaction({ to: recipients[0].address, value: 1n,
    nonce: startNonce, chainId: expectedChainId, gasLimit: 21000n,
    maxFeePerGas: ethers.parseUnits("10", "gwei"), maxPriorityFeePerGas: 0n, type: 2 });
  await refused(provider, "reused nonce", "nonce too low",
                () => provider.broadcastTransaction(reused), watched);

  // Insufficient balance: an account that holds nothing.
  const empty = ethers.Wallet.createRandom().connect(provider);
  await refused(provider, "insufficient balance", "insufficient funds",
                () => empty.sendTransaction({ to: recipients[0].address, value: 1n,
                                              gasLimit: 21000n }),
                [...watched, empty.address]);

  // Contract data (and contract creation).
  await refused(provider, "contract data", "not supported",
                () => wallet.sendTransaction({ to: recipients[0].address, value: 0n,
                                               data: "0x1234", gasLimit: 50000n }), watched);
  await refused(provider, "contract creation", "not supported",
                () => wallet.sendTransaction({ data: "0x6000", gasLimit: 60000n }), watched);

  console.log("all wallet checks passed");
}

main().catch((error) => {
  console.error(error.stack ?? String(error));
  process.exit(1);
});
