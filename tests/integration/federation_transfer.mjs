// A wallet (ethers v6) across a federation: a transfer sent to one member must be mined and be
// visible, with the same receipt and balance, on another. Run by tests/integration/federation.test.cpp:
//   node federation_transfer.mjs <rpc url of A> <rpc url of C> <chain id> <funded secret key>
// Prints "federation transfer checks passed" and exits 0 when every check holds.
import { ethers } from "ethers";

const [urlA, urlC, chainIdText, fundedKey] = process.argv.slice(2);

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

async function main() {
  const options = { pollingInterval: 100, cacheTimeout: -1 };
  const a = new ethers.JsonRpcProvider(urlA, undefined, options);
  const c = new ethers.JsonRpcProvider(urlC, undefined, options);
  check((await a.getNetwork()).chainId === BigInt(chainIdText), "A's chain id");
  check((await c.getNetwork()).chainId === BigInt(chainIdText), "C's chain id");
  const wallet = new ethers.Wallet(fundedKey, a);
  const to = ethers.Wallet.createRandom().address;
  const value = 1234567890123n;
  const sent = await wallet.sendTransaction({ to, value });
  console.log(`sent ${sent.hash} to A`);
  const mined = await sent.wait(1, 60000);
  check(mined !== null && mined.status === 1, `mined on A in block ${mined?.blockNumber}`);

  let seen = null;
  const deadline = Date.now() + 30000;
  while (seen === null && Date.now() < deadline) {
    seen = await c.getTransactionReceipt(sent.hash);
    if (seen === null) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  check(seen !== null, "the receipt is on C");
  check(seen.blockHash === mined.blockHash, "C has it in the same block as A");
  check(seen.status === 1, "C's receipt says success");
  check((await c.getBalance(to, "latest")) === value, "the balance on C");
  console.log("federation transfer checks passed");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
