// Compiles one Solidity file with solc-js and the project's fixed settings, so that the artefacts
// committed beside the sources (contracts/, tests/contracts/) can be reproduced byte for byte.
//
//   node solc_compile.js SOLC_PACKAGE_DIR FILE.sol            # JSON on stdout
//   node solc_compile.js SOLC_PACKAGE_DIR FILE.sol OUT_DIR    # also NAME.bin, NAME.bin-runtime,
//                                                             # NAME.abi.json per contract
//
// Use it through `bash packaging/solc.sh compile FILE.sol`, which passes the pinned solc.
//
// The settings are part of the bytecode: solc appends a CBOR metadata blob (with an IPFS hash of the
// metadata JSON, which names the compiler, the settings and the source's hash) to the runtime code.
// The source unit is named by its file name alone, so the folder a clone lives in does not leak
// into that hash. Geth runs Shanghai (no Cancun opcodes such as MCOPY or TSTORE), hence evmVersion.
'use strict';
const fs = require('fs');
const path = require('path');

const [solcDir, file, outDir] = process.argv.slice(2);
if (!solcDir || !file) {
  process.stderr.write('usage: node solc_compile.js SOLC_PACKAGE_DIR FILE.sol [OUT_DIR]\n');
  process.exit(2);
}
const solc = require(path.resolve(solcDir));
const unit = path.basename(file);
const input = {
  language: 'Solidity',
  sources: {[unit]: {content: fs.readFileSync(file, 'utf8')}},
  settings: {
    optimizer: {enabled: true, runs: 200},
    evmVersion: 'shanghai',
    viaIR: false,
    metadata: {bytecodeHash: 'ipfs', appendCBOR: true},
    outputSelection: {'*': {'*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object']}},
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
// Warnings fail the build too: a contract predeployed in every genesis should compile cleanly.
const problems = output.errors || [];
for (const problem of problems) process.stderr.write(problem.formattedMessage || problem.message);
if (problems.length > 0) process.exit(1);

const contracts = {};
for (const [name, compiled] of Object.entries(output.contracts[unit])) {
  contracts[name] = {
    bytecode: compiled.evm.bytecode.object,
    runtime: compiled.evm.deployedBytecode.object,
    abi: compiled.abi,
  };
  if (outDir) {
    fs.mkdirSync(outDir, {recursive: true});
    fs.writeFileSync(path.join(outDir, `${name}.bin`), compiled.evm.bytecode.object + '\n');
    fs.writeFileSync(path.join(outDir, `${name}.bin-runtime`),
                     compiled.evm.deployedBytecode.object + '\n');
    fs.writeFileSync(path.join(outDir, `${name}.abi.json`),
                     JSON.stringify(compiled.abi, null, 2) + '\n');
  }
}
process.stdout.write(JSON.stringify({compiler: solc.version(), settings: input.settings, contracts}) +
                     '\n');
