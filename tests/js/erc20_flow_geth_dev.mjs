// erc20_flow.mjs against `geth --dev` (Geth's own block producer, no alysd): the flow a wallet runs
// on alysd's engine-api backend holds on the plain Ethereum client, so a failure of the same flow
// through alysd is alysd's. --dev has no bridge predeployed: the flow deploys it from the committed
// creation code. The JSON the flow prints is checked against Geth's own answers.
//
//   node tests/js/erc20_flow_geth_dev.mjs SOURCE_DIR
// Geth: $ALYS_GETH, else `bash packaging/geth.sh path`; ethers: `bash packaging/ethers.sh path`.
// Either missing: prints SKIP and exits 0.
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const sourceDir = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../..'));
// The key geth --dev funds (go-ethereum's fixed developer key, address 0x71562b71…17F7).
const devKey = '0xb71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291';

function scriptPath(script) {
  try {
    return execFileSync('bash', [path.join(sourceDir, 'packaging', script), 'path'],
                        {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
        .trim();
  } catch {
    return null;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolve(port));
    });
  });
}

let failures = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok' : 'FAIL'}: ${what}${ok ? '' : ` (${detail})`}`);
  if (!ok) failures += 1;
}

const geth = process.env.ALYS_GETH ?? scriptPath('geth.sh');
if (!geth || !fs.existsSync(geth)) {
  console.log('SKIP: geth is not installed (bash packaging/geth.sh install, or set ALYS_GETH)');
  process.exit(0);
}
const ethersDir = scriptPath('ethers.sh');
if (!ethersDir) {
  console.log('SKIP: ethers is not installed (bash packaging/ethers.sh install)');
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erc20-geth-dev-'));
const log = fs.openSync(path.join(dir, 'geth.log'), 'a');
const httpPort = await freePort();
// --dev.period 1: a block every second whether or not a transaction waits, as alysd's slots do.
const child = spawn(geth, ['--dev', '--dev.period', '1', '--datadir', path.join(dir, 'data'),
                           '--nodiscover', '--maxpeers', '0', '--port', '0', '--ipcdisable',
                           '--authrpc.addr', '127.0.0.1', '--authrpc.port', String(await freePort()),
                           '--http', '--http.addr', '127.0.0.1', '--http.port', String(httpPort),
                           '--http.api', 'eth,net,web3'],
                    {stdio: ['ignore', log, log]});
const url = `http://127.0.0.1:${httpPort}`;

async function rpc(method, params) {
  const response = await fetch(url, {
    method: 'POST', headers: {'content-type': 'application/json'},
    body: JSON.stringify({jsonrpc: '2.0', id: 1, method, params}),
  });
  return (await response.json()).result;
}

try {
  let chainId = null;
  for (let i = 0; i < 200 && chainId === null; ++i) {
    try {
      chainId = await rpc('eth_chainId', []);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  if (chainId === null) throw new Error('geth --dev did not answer eth_chainId within 20 s');

  const started = Date.now();
  let stdout = '';
  let stderr = '';
  const flow = spawn('node', [path.join(sourceDir, 'tests/js/erc20_flow.mjs'), '--rpc', url, '--key',
                              devKey, '--ethers', ethersDir, '--bridge-bin',
                              path.join(sourceDir, 'contracts/bridge/Bridge.bin')]);
  flow.stdout.on('data', (chunk) => (stdout += chunk));
  flow.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => flow.once('exit', resolve));
  console.log(stderr.trimEnd());
  check('erc20_flow.mjs exits 0', code === 0, `exit ${code}`);
  console.log(`figure: the whole flow took ${Date.now() - started} ms (7 transactions)`);
  const out = JSON.parse(stdout);

  check('it reports the chain id Geth serves', out.chainId === Number(chainId), out.chainId);
  const steps = [out.funding, {hash: out.token.deployTx, block: out.token.deployBlock},
                 out.tokenTransfer, out.legacy, out.eip1559, out.pegout];
  check('each step is in a later block than the one before',
        steps.every((step, i) => i === 0 || step.block > steps[i - 1].block),
        JSON.stringify(steps.map((s) => s.block)));
  // 7 transactions: the funding (from the funded key), then 6 from the fresh account (the two
  // deployments, the token transfer, the two plain transfers, the peg-out).
  check('the fresh account sent 6 transactions', out.nonce === 6, out.nonce);
  for (const step of steps) {
    const receipt = await rpc('eth_getTransactionReceipt', [step.hash]);
    check(`Geth's receipt of ${step.hash.slice(0, 10)}… is in block ${step.block}`,
          receipt !== null && Number(receipt.blockNumber) === step.block && receipt.status === '0x1',
          JSON.stringify(receipt)?.slice(0, 300));
  }
  const legacy = await rpc('eth_getTransactionByHash', [out.legacy.hash]);
  check('Geth has the legacy transfer as type 0x0 with its gas price',
        legacy.type === '0x0' && BigInt(legacy.gasPrice) === BigInt(out.legacy.gasPrice),
        JSON.stringify(legacy).slice(0, 300));
  const dynamic = await rpc('eth_getTransactionByHash', [out.eip1559.hash]);
  check('Geth has the EIP-1559 transfer as type 0x2 with its fee caps',
        dynamic.type === '0x2' && BigInt(dynamic.maxFeePerGas) === BigInt(out.eip1559.maxFeePerGas),
        JSON.stringify(dynamic).slice(0, 300));
  const holderSlot = await rpc('eth_call', [{to: out.token.address, data: '0x70a08231' +
                                             out.tokenTransfer.to.slice(2).padStart(64, '0')},
                                            'latest']);
  check('balanceOf(holder) read by a raw eth_call is the amount sent',
        BigInt(holderSlot) === BigInt(out.tokenTransfer.value), holderSlot);
  const logs = await rpc('eth_getLogs', [{address: out.pegout.bridge, fromBlock: '0x0',
                                          toBlock: 'latest'}]);
  check('the bridge has exactly the one RequestPegOut log the flow reported',
        logs.length === 1 && logs[0].transactionHash === out.pegout.hash &&
            logs[0].data === out.pegout.data &&
            JSON.stringify(logs[0].topics) === JSON.stringify(out.pegout.topics),
        JSON.stringify(logs).slice(0, 400));
  console.log(`figure: gas used by requestPegOut on geth --dev: ${out.pegout.gasUsed}`);
} catch (error) {
  check('the run', false, error.message);
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  if (failures > 0) console.log(fs.readFileSync(path.join(dir, 'geth.log'), 'utf8').slice(-3000));
  fs.rmSync(dir, {recursive: true, force: true});
}
process.exit(failures > 0 ? 1 : 0);
