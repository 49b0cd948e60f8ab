// The committed bridge runtime (contracts/bridge/Bridge.bin-runtime), predeployed by a Shanghai
// genesis in a real Geth, behaves as the embedded engine assumes: the ABI-encoded call that
// plugins/engine/embedded/bridge_call.test.cpp decodes succeeds and emits exactly the RequestPegOut
// log that test decodes; a zero value reverts with the reason the embedded engine repeats; malformed
// calldata and plain transfers revert. No block is produced: eth_simulateV1 and eth_call run on the
// genesis state.
//
//   node tests/contracts/bridge_on_geth.mjs SOURCE_DIR
// Geth: $ALYS_GETH, else `bash packaging/geth.sh path` when that script exists, else geth on PATH;
// none found: prints SKIP and exits 0.
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const sourceDir = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../..'));
const bridge = '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB';
const sender = '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23';
// The vectors of bridge_call.test.cpp (ethers 6.17.0 encoded them from the committed ABI).
const call = '0x9911dc74' + '20'.padStart(64, '0') + '2c'.padStart(64, '0') +
    Buffer.from('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080').toString('hex').padEnd(64 * 2, '0');
const logData = '0x' + '40'.padStart(64, '0') + '29a2241af62c0000'.padStart(64, '0') +
    call.slice(2 + 8 + 64);
const logTopics = ['0xaa1c6070bc915de33c0fbc36ecf77b1e4fc1ebce832b2da62b6fe25f5a7dd5b0',
                   '0x' + sender.slice(2).padStart(64, '0')];
const threeEther = '0x29a2241af62c0000';

function findGeth() {
  if (process.env.ALYS_GETH) return process.env.ALYS_GETH;
  const script = path.join(sourceDir, 'packaging/geth.sh');
  if (fs.existsSync(script)) {
    try {
      return execFileSync('bash', [script, 'path'], {encoding: 'utf8'}).trim();
    } catch {
      return null;
    }
  }
  try {
    return execFileSync('sh', ['-c', 'command -v geth'], {encoding: 'utf8'}).trim() || null;
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

const geth = findGeth();
if (!geth || !fs.existsSync(geth)) {
  console.log('SKIP: geth is not installed (bash packaging/geth.sh install, or set ALYS_GETH)');
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-geth-'));
const runtime = fs.readFileSync(path.join(sourceDir, 'contracts/bridge/Bridge.bin-runtime'), 'utf8')
                    .trim();
const forks = ['homestead', 'eip150', 'eip155', 'eip158', 'byzantium', 'constantinople',
               'petersburg', 'istanbul', 'berlin', 'london', 'mergeNetsplit'];
const genesis = {
  config: {chainId: 263634, ...Object.fromEntries(forks.map((f) => [`${f}Block`, 0])),
           shanghaiTime: 0, terminalTotalDifficulty: 0},
  difficulty: '0x0', gasLimit: '0x1c9c380', timestamp: '0x0', extraData: '0x',
  baseFeePerGas: '0x3b9aca00',
  alloc: {[bridge]: {balance: '0x0', code: '0x' + runtime},
          [sender]: {balance: '0x56bc75e2d63100000'}},  // 100 ether
};
fs.writeFileSync(path.join(dir, 'genesis.json'), JSON.stringify(genesis));
fs.writeFileSync(path.join(dir, 'jwt.hex'), '11'.repeat(32));
const log = fs.openSync(path.join(dir, 'geth.log'), 'a');
execFileSync(geth, ['--datadir', path.join(dir, 'data'), 'init', path.join(dir, 'genesis.json')],
             {stdio: ['ignore', log, log]});
const [httpPort, authPort] = [await freePort(), await freePort()];
const child = spawn(geth, ['--datadir', path.join(dir, 'data'), '--syncmode', 'full', '--nodiscover',
                           '--maxpeers', '0', '--port', '0', '--ipcdisable',
                           '--authrpc.addr', '127.0.0.1', '--authrpc.port', String(authPort),
                           '--authrpc.jwtsecret', path.join(dir, 'jwt.hex'), '--http',
                           '--http.addr', '127.0.0.1', '--http.port', String(httpPort),
                           '--http.api', 'eth,net,web3'],
                    {stdio: ['ignore', log, log]});

async function rpc(method, params) {
  const response = await fetch(`http://127.0.0.1:${httpPort}`, {
    method: 'POST', headers: {'content-type': 'application/json'},
    body: JSON.stringify({jsonrpc: '2.0', id: 1, method, params}),
  });
  return response.json();
}

try {
  let ready = false;
  for (let i = 0; i < 200 && !ready; ++i) {
    try {
      ready = (await rpc('eth_chainId', [])).result === '0x405d2';
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  if (!ready) throw new Error('geth did not answer eth_chainId within 20 s');

  const code = await rpc('eth_getCode', [bridge, 'latest']);
  check('eth_getCode of the bridge is the committed runtime', code.result === '0x' + runtime,
        JSON.stringify(code).slice(0, 200));

  const tx = (value, data) => ({from: sender, to: bridge, value, data, maxFeePerGas: '0x77359400'});
  const simulated = await rpc('eth_simulateV1',
                              [{blockStateCalls: [{calls: [tx(threeEther, call)]}], validation: true},
                               'latest']);
  const result = simulated.result?.[0]?.calls?.[0];
  check('requestPegOut of 3 ether succeeds', result?.status === '0x1', JSON.stringify(simulated));
  const logs = result?.logs ?? [];
  check('it emits one log, from the bridge', logs.length === 1 &&
        logs[0].address.toLowerCase() === bridge.toLowerCase(), JSON.stringify(logs));
  check('the log is the RequestPegOut bridge_call.test.cpp decodes',
        logs[0]?.data === logData && JSON.stringify(logs[0]?.topics) === JSON.stringify(logTopics),
        JSON.stringify(logs[0]));
  console.log(`figure: gas used by the first requestPegOut (0x…dEaD created): ${
      parseInt(result?.gasUsed, 16)}`);

  // Calldata Solidity's decoder accepts, and the embedded engine's too (bridge_call.test.cpp).
  for (const [what, data] of [['trailing bytes', call + '42'.repeat(7)],
                              ['an offset past a gap', '0x9911dc74' + '40'.padStart(64, '0') +
                                   'ee'.repeat(32) + '3'.padStart(64, '0') +
                                   '616263'.padEnd(64, '0')],
                              ['non-zero padding', call.slice(0, call.length - 2) + 'ff']]) {
    const answer = await rpc('eth_call', [tx('0x1', data), 'latest']);
    check(`a call with ${what} succeeds`, answer.result === '0x', JSON.stringify(answer));
  }

  const zero = await rpc('eth_call', [tx('0x0', call), 'latest']);
  check('a zero value reverts with the reason the embedded engine repeats',
        zero.error?.message === 'execution reverted: Bridge: a peg-out needs a value',
        JSON.stringify(zero));
  for (const [what, data] of [['a plain transfer', '0x'],
                              ['truncated calldata', call.slice(0, call.length - 64)],
                              ['a huge length', call.slice(0, 2 + 8 + 64) + 'f'.repeat(64)],
                              ['another selector', '0xa9059cbb' + call.slice(10)]]) {
    const answer = await rpc('eth_call', [tx('0x1', data), 'latest']);
    check(`${what} reverts`, answer.error?.message === 'execution reverted', JSON.stringify(answer));
  }
} catch (error) {
  check('the run', false, error.message);
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  if (failures > 0) console.log(fs.readFileSync(path.join(dir, 'geth.log'), 'utf8').slice(-3000));
  fs.rmSync(dir, {recursive: true, force: true});
}
process.exit(failures > 0 ? 1 : 0);
