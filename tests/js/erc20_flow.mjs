// What a dapp and a wallet do on an EVM chain, with ethers v6 against any Ethereum JSON-RPC: deploy
// the committed ERC-20 (tests/contracts/TestToken), transfer tokens and find the Transfer log through
// eth_getLogs; a legacy (type 0) and an EIP-1559 (type 2) transfer with their receipts and balances
// checked to the wei; then the bridge's requestPegOut(bytes) with a value and its RequestPegOut log.
//
//   node tests/js/erc20_flow.mjs --rpc URL --key 0xSECRET [options]
//     --token-bin F --token-runtime F --token-abi F   default: tests/contracts/TestToken.*
//     --bridge-abi F                                  default: contracts/bridge/Bridge.abi.json
//     --bridge ADDRESS     the predeployed bridge (default 0xbBbB…BbB, every alysd genesis has it)
//     --bridge-bin F       deploy the bridge from this creation code instead (a chain without it)
//     --no-pegout          skip the peg-out (a chain without the bridge)
//     --btc-address TEXT   what requestPegOut is given (default a regtest bech32 address)
//     --pegout-wei N       the peg-out's value (default 10^16: 1,000,000 sats, Alys's minimum)
//     --timeout-ms N       how long one transaction may take to be mined (default 60000)
//     --ethers DIR         the folder holding node_modules/ethers (default: $ALYS_ETHERS_DIR, else
//                          `bash packaging/ethers.sh path`)
//
// The funded key only pays a fresh account, which does everything else: its balance is then exactly
// what it was given minus values and fees, whoever the chain's fee recipient is.
// Prints each check on stderr and, when all hold, one JSON object on stdout (addresses, hashes,
// block numbers, fees as decimal strings) for the caller to check further. Exit 0: every check
// held; 1: a check or a request failed (the reason on stderr); 3: ethers is not installed.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {parseArgs} from 'node:util';

const sourceDir = path.resolve(import.meta.dirname, '../..');
const {values: options} = parseArgs({
  options: {
    'rpc': {type: 'string'},
    'key': {type: 'string'},
    'token-bin': {type: 'string', default: path.join(sourceDir, 'tests/contracts/TestToken.bin')},
    'token-runtime':
        {type: 'string', default: path.join(sourceDir, 'tests/contracts/TestToken.bin-runtime')},
    'token-abi': {type: 'string', default: path.join(sourceDir, 'tests/contracts/TestToken.abi.json')},
    'bridge-abi': {type: 'string', default: path.join(sourceDir, 'contracts/bridge/Bridge.abi.json')},
    'bridge': {type: 'string', default: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB'},
    'bridge-bin': {type: 'string'},
    'no-pegout': {type: 'boolean', default: false},
    'btc-address': {type: 'string', default: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080'},
    'pegout-wei': {type: 'string', default: '10000000000000000'},
    'timeout-ms': {type: 'string', default: '60000'},
    'ethers': {type: 'string'},
  },
});
if (!options.rpc || !options.key) {
  console.error('usage: node erc20_flow.mjs --rpc URL --key 0xSECRET [options] (see the header)');
  process.exit(2);
}

function ethersDir() {
  if (options.ethers) return options.ethers;
  if (process.env.ALYS_ETHERS_DIR) return process.env.ALYS_ETHERS_DIR;
  try {
    return execFileSync('bash', [path.join(sourceDir, 'packaging/ethers.sh'), 'path'],
                        {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
        .trim();
  } catch {
    return null;
  }
}

let ethers;
try {
  ({ethers} = createRequire(path.join(ethersDir() ?? '/nonexistent', '/'))('ethers'));
} catch {
  console.error('erc20_flow: ethers is not installed (bash packaging/ethers.sh install)');
  process.exit(3);
}

const timeoutMs = Number(options['timeout-ms']);
const readHex = (file) => '0x' + fs.readFileSync(file, 'utf8').trim();
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

function check(condition, what, detail) {
  if (!condition) throw new Error(`check failed: ${what}${detail === undefined ? '' : ` (${detail})`}`);
  console.error(`ok: ${what}`);
}

// Values in messages: BigInts as decimals, long hex cut short.
const show = (value, limit = 120) => {
  const text = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'undefined';
  return text.length > limit ? `${text.slice(0, 60)}…${text.slice(-20)} (${text.length} chars)` : text;
};

function same(actual, expected, what) {
  check(actual === expected, `${what} is ${show(expected)}`, `got ${show(actual)}`);
}

async function mined(provider, tx, what) {
  const receipt = await tx.wait(1, timeoutMs);
  check(receipt !== null && receipt.status === 1, `${what} mined with status 1 in block ${
      receipt?.blockNumber}`, `receipt ${show(receipt)}`);
  // ethers folds effectiveGasPrice into gasPrice: the raw receipt shows what the node sent.
  const raw = await provider.send('eth_getTransactionReceipt', [tx.hash]);
  same(raw.status, '0x1', `${what}: raw receipt status`);
  same(raw.transactionHash, tx.hash, `${what}: raw receipt hash`);
  check(typeof raw.effectiveGasPrice === 'string' && BigInt(raw.effectiveGasPrice) === receipt.gasPrice,
        `${what}: raw receipt has effectiveGasPrice ${receipt.gasPrice}`, raw.effectiveGasPrice);
  return {receipt, raw};
}

const hexOf = (value) => '0x' + value.toString(16);

async function main() {
  const provider = new ethers.JsonRpcProvider(options.rpc, undefined,
                                              {pollingInterval: 250, cacheTimeout: -1});
  const network = await provider.getNetwork();
  const funded = new ethers.Wallet(options.key, provider);
  const fundedBalance = await provider.getBalance(funded.address);
  check(fundedBalance > ethers.parseEther('3'),
        `the funded account ${funded.address} holds ${ethers.formatEther(fundedBalance)} ETH`);
  const out = {rpc: options.rpc, chainId: Number(network.chainId), funded: funded.address};

  // A fresh account, given 3 ETH by the funded one.
  const wallet = ethers.Wallet.createRandom().connect(provider);
  const grant = ethers.parseEther('3');
  const funding = await mined(provider, await funded.sendTransaction({to: wallet.address, value: grant}),
                              'funding the fresh account');
  same(await provider.getBalance(wallet.address), grant, 'the fresh account\'s balance');
  out.wallet = wallet.address;
  out.funding = {hash: funding.receipt.hash, block: funding.receipt.blockNumber};
  let ethSpent = 0n;
  const paid = ({receipt}) => receipt.gasUsed * receipt.gasPrice;

  // The ERC-20: deployed, then its code and state read back.
  const tokenAbi = readJson(options['token-abi']);
  const supply = ethers.parseUnits('1000000', 18);
  const token = await new ethers.ContractFactory(tokenAbi, readHex(options['token-bin']), wallet)
                    .deploy(supply);
  const deployed = await mined(provider, token.deploymentTransaction(), 'the ERC-20 deployment');
  ethSpent += paid(deployed);
  const tokenAddress = await token.getAddress();
  same(deployed.receipt.contractAddress, tokenAddress, 'the receipt\'s contractAddress');
  same(await provider.getCode(tokenAddress), readHex(options['token-runtime']),
       'the deployed code (the committed runtime)');
  same(await token.symbol(), 'ATT', 'symbol()');
  same(await token.totalSupply(), supply, 'totalSupply()');
  same(await token.balanceOf(wallet.address), supply, 'the deployer\'s token balance');

  const holder = ethers.Wallet.createRandom().address;
  const amount = ethers.parseUnits('1234.5', 18);
  const sent = await mined(provider, await token.transfer(holder, amount), 'transfer(holder, amount)');
  ethSpent += paid(sent);
  const block = sent.receipt.blockNumber;
  same(sent.receipt.logs.length, 1, 'the transfer\'s log count');
  const parsed = token.interface.parseLog(sent.receipt.logs[0]);
  check(parsed?.name === 'Transfer' && parsed.args.from === wallet.address &&
            parsed.args.to === holder && parsed.args.value === amount,
        'the receipt\'s log is Transfer(wallet, holder, amount)', show(parsed?.args?.toArray()));
  // The same log through eth_getLogs: by address and topics, then ethers' event filter.
  const topics = [token.interface.getEvent('Transfer').topicHash, ethers.zeroPadValue(wallet.address, 32),
                  ethers.zeroPadValue(holder, 32)];
  const logs = await provider.getLogs({address: tokenAddress, topics, fromBlock: block, toBlock: block});
  same(logs.length, 1, 'eth_getLogs by topics: log count');
  const [log] = logs;
  check(log.transactionHash === sent.receipt.hash && log.blockHash === sent.receipt.blockHash &&
            log.blockNumber === block && log.index === sent.receipt.logs[0].index &&
            log.address === tokenAddress && log.data === ethers.toBeHex(amount, 32) &&
            JSON.stringify(log.topics) === JSON.stringify(topics),
        'eth_getLogs returns the receipt\'s log (hash, block, index, address, topics, data)',
        show(log));
  const events = await token.queryFilter(token.filters.Transfer(), deployed.receipt.blockNumber, block);
  check(events.length === 2 && events[0].args.from === ethers.ZeroAddress &&
            events[0].args.value === supply && events[1].transactionHash === sent.receipt.hash &&
            events[1].args.to === holder && events[1].args.value === amount,
        'queryFilter(Transfer) from the deployment: the mint, then the transfer',
        show(events.map((e) => e.args?.toArray())));
  same(await token.balanceOf(holder), amount, 'the holder\'s token balance');
  same(await token.balanceOf(wallet.address), supply - amount, 'the deployer\'s token balance after');
  out.token = {address: tokenAddress, deployTx: deployed.receipt.hash,
               deployBlock: deployed.receipt.blockNumber, supply: supply.toString()};
  out.tokenTransfer = {hash: sent.receipt.hash, block, blockHash: sent.receipt.blockHash,
                       logIndex: log.index, from: wallet.address, to: holder,
                       value: amount.toString()};

  // A legacy transfer (type 0, EIP-155): the effective gas price is the gas price given.
  const legacyTo = ethers.Wallet.createRandom().address;
  const legacyValue = ethers.parseEther('0.125');
  const gasPrice = (await provider.getFeeData()).gasPrice;
  const legacy = await mined(provider, await wallet.sendTransaction({to: legacyTo, value: legacyValue,
                                                                    type: 0, gasPrice}),
                             'the legacy transfer');
  ethSpent += legacyValue + paid(legacy);
  same(legacy.receipt.type, 0, 'the legacy receipt\'s type');
  same(legacy.raw.type, '0x0', 'the legacy raw receipt\'s type');
  same(legacy.receipt.gasUsed, 21000n, 'the legacy transfer\'s gas');
  same(legacy.receipt.gasPrice, gasPrice, 'the legacy effectiveGasPrice (its gasPrice)');
  same(await provider.getBalance(legacyTo), legacyValue, 'the legacy recipient\'s balance');
  out.legacy = {hash: legacy.receipt.hash, block: legacy.receipt.blockNumber, to: legacyTo,
                value: legacyValue.toString(), gasPrice: gasPrice.toString(),
                effectiveGasPrice: legacy.receipt.gasPrice.toString()};

  // An EIP-1559 transfer (type 2): effectiveGasPrice = min(maxFee, its block's base fee + tip).
  const dynamicTo = ethers.Wallet.createRandom().address;
  const dynamicValue = ethers.parseEther('0.25');
  const tx = await wallet.sendTransaction({to: dynamicTo, value: dynamicValue, type: 2});
  const dynamic = await mined(provider, tx, 'the EIP-1559 transfer');
  ethSpent += dynamicValue + paid(dynamic);
  same(dynamic.receipt.type, 2, 'the EIP-1559 receipt\'s type');
  same(dynamic.raw.type, '0x2', 'the EIP-1559 raw receipt\'s type');
  same(dynamic.receipt.gasUsed, 21000n, 'the EIP-1559 transfer\'s gas');
  const baseFee = (await provider.getBlock(dynamic.receipt.blockNumber)).baseFeePerGas;
  const expected = baseFee + tx.maxPriorityFeePerGas < tx.maxFeePerGas ?
      baseFee + tx.maxPriorityFeePerGas : tx.maxFeePerGas;
  same(dynamic.receipt.gasPrice, expected,
       `the EIP-1559 effectiveGasPrice (base fee ${baseFee} + tip ${tx.maxPriorityFeePerGas})`);
  same(await provider.getBalance(dynamicTo), dynamicValue, 'the EIP-1559 recipient\'s balance');
  out.eip1559 = {hash: dynamic.receipt.hash, block: dynamic.receipt.blockNumber, to: dynamicTo,
                 value: dynamicValue.toString(), maxFeePerGas: tx.maxFeePerGas.toString(),
                 maxPriorityFeePerGas: tx.maxPriorityFeePerGas.toString(),
                 baseFeePerGas: baseFee.toString(),
                 effectiveGasPrice: dynamic.receipt.gasPrice.toString()};

  // The bridge: requestPegOut(bytes) with a value, which goes to 0x…dEaD.
  out.pegout = null;
  if (!options['no-pegout']) {
    const bridgeAbi = readJson(options['bridge-abi']);
    let bridgeAddress = options.bridge;
    if (options['bridge-bin']) {
      const bridgeDeployment = await new ethers.ContractFactory(bridgeAbi, readHex(options['bridge-bin']),
                                                                wallet).deploy();
      const receipt = await mined(provider, bridgeDeployment.deploymentTransaction(),
                                  'the bridge deployment');
      ethSpent += paid(receipt);
      bridgeAddress = await bridgeDeployment.getAddress();
    }
    check((await provider.getCode(bridgeAddress)).length > 2, `the bridge at ${bridgeAddress} has code`);
    const bridge = new ethers.Contract(bridgeAddress, bridgeAbi, wallet);
    const dead = '0x000000000000000000000000000000000000dEaD';
    const value = BigInt(options['pegout-wei']);
    const btc = ethers.toUtf8Bytes(options['btc-address']);
    const pegout = await mined(provider, await bridge.requestPegOut(btc, {value}), 'requestPegOut');
    ethSpent += value + paid(pegout);
    const {receipt} = pegout;
    same(receipt.logs.length, 1, 'the peg-out\'s log count');
    const event = bridge.interface.parseLog(receipt.logs[0]);
    check(event?.name === 'RequestPegOut' && receipt.logs[0].address === bridgeAddress &&
              event.args.evmAddress === wallet.address &&
              event.args.bitcoinAddress === ethers.hexlify(btc) && event.args.value === value,
          'the log is RequestPegOut(wallet, the address given, the value), from the bridge',
          show(event?.args?.toArray()));
    const found = await bridge.queryFilter(bridge.filters.RequestPegOut(wallet.address),
                                           receipt.blockNumber, receipt.blockNumber);
    check(found.length === 1 && found[0].transactionHash === receipt.hash &&
              found[0].index === receipt.logs[0].index,
          'queryFilter(RequestPegOut(wallet)) finds it');
    const deadGain = await provider.getBalance(dead, receipt.blockNumber) -
        await provider.getBalance(dead, receipt.blockNumber - 1);
    check(deadGain >= value, `0x…dEaD gained at least the value in block ${receipt.blockNumber}`,
          `gained ${deadGain}`);
    out.pegout = {bridge: bridgeAddress, hash: receipt.hash, block: receipt.blockNumber,
                  blockHash: receipt.blockHash, logIndex: receipt.logs[0].index,
                  evmAddress: event.args.evmAddress, bitcoinAddress: event.args.bitcoinAddress,
                  bitcoinAddressText: options['btc-address'], value: value.toString(),
                  gasUsed: receipt.gasUsed.toString(),
                  topics: receipt.logs[0].topics, data: receipt.logs[0].data};
  }

  // Every wei the fresh account spent is accounted for: values plus gasUsed × effectiveGasPrice.
  same(await provider.getBalance(wallet.address), grant - ethSpent,
       'the fresh account\'s balance (grant − values − fees)');
  out.walletSpentWei = ethSpent.toString();
  out.nonce = await provider.getTransactionCount(wallet.address, 'latest');
  console.log(JSON.stringify(out));
}

main().then(() => process.exit(0), (error) => {
  console.error(`erc20_flow: FAIL: ${error.shortMessage ?? error.message}`);
  if (error.info) console.error(`erc20_flow: ${show(error.info, 2000)}`);
  process.exit(1);
});
