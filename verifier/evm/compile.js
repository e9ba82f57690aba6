#!/usr/bin/env node
// Compiles Solidity (.sol) and Yul (.yul) files with solc-js 0.8.19 (pinned in
// package.json) and writes, for every deployable contract, its deployment
// bytecode to <out>/<Contract>.bin (hex, no 0x, one line), plus
// <out>/manifest.json: the compiler, the settings, each source's sha256 and
// each contract's sizes. The Rust tests read the .bin files (CI has no node)
// and check the manifest's hashes against the committed sources.
//
// usage: node compile.js [--out DIR] [--clean] [--no-optimize] FILE...
//   paths relative to this directory, or absolute; default out: build.
//   Without --clean the output directory's manifest is added to (a file
//   compiled on its own keeps the others' entries); --clean first removes the
//   directory's .bin files and manifest. --no-optimize compiles with the
//   optimizer off, as snark-verifier's own `solc --bin` does for its generated
//   verifier (solc-js runs out of memory optimising its 80 KB assembly block).
//
// Settings: optimizer on, 200 runs; evmVersion "paris" (no PUSH0: deployable on
// every EVM chain; revm runs it under any later spec); no metadata hash in the
// bytecode, so the bytecode depends on the code alone, not on comments, paths or
// the machine. Any solc error makes the script exit 1 with solc's messages; a
// contract over the EIP-170 limit (24576 bytes deployed) is an error too.

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const HERE = __dirname;
const MAX_RUNTIME = 24576; // EIP-170
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'paris',
  metadata: { bytecodeHash: 'none' },
  outputSelection: {
    '*': {
      '': ['ast'],
      '*': ['evm.bytecode.object', 'evm.deployedBytecode.object'],
    },
  },
};

function fail(message) {
  process.stderr.write(`compile.js: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  let out = path.join(HERE, 'build');
  let clean = false;
  let optimize = true;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') {
      if (i + 1 >= argv.length) fail('--out needs a directory');
      out = path.resolve(argv[++i]);
    } else if (argv[i] === '--clean') {
      clean = true;
    } else if (argv[i] === '--no-optimize') {
      optimize = false;
    } else if (argv[i].startsWith('-')) {
      fail(`unknown option ${argv[i]}`);
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length === 0) fail('usage: node compile.js [--out DIR] [--clean] FILE...');
  if (!optimize) SETTINGS.optimizer = { enabled: false };
  return { out, clean, files };
}

// Source unit names are paths relative to this directory (forward slashes), so
// imports resolve the same way on every machine.
function unitName(file) {
  const abs = path.resolve(HERE, file);
  const rel = path.relative(HERE, abs);
  return rel.startsWith('..') ? abs.split(path.sep).join('/') : rel.split(path.sep).join('/');
}

function findImports(name) {
  const abs = path.isAbsolute(name) ? name : path.join(HERE, name);
  try {
    return { contents: fs.readFileSync(abs, 'utf8') };
  } catch (e) {
    return { error: `cannot read import ${name}: ${e.message}` };
  }
}

function compile(language, sources) {
  const settings = { ...SETTINGS };
  if (language === 'Yul') {
    settings.outputSelection = { '*': { '*': ['evm.bytecode.object', 'evm.deployedBytecode.object'] } };
  }
  const input = { language, sources, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) {
    if (e.severity !== 'error') process.stderr.write(e.formattedMessage || e.message);
  }
  if (errors.length > 0) {
    fail(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage || e.message).join('\n')}`);
  }
  return output;
}

// Libraries are linked into their users (internal functions only here), and
// interfaces and abstract contracts have no bytecode: neither gets a .bin.
function libraries(output) {
  const names = new Set();
  for (const unit of Object.values(output.sources || {})) {
    for (const node of (unit.ast && unit.ast.nodes) || []) {
      if (node.nodeType === 'ContractDefinition' && node.contractKind === 'library') {
        names.add(node.name);
      }
    }
  }
  return names;
}

function main() {
  const { out, clean, files } = parseArgs(process.argv.slice(2));
  const solidity = {};
  const yul = [];
  for (const file of files) {
    const abs = path.resolve(HERE, file);
    if (!fs.existsSync(abs)) fail(`no such file: ${file}`);
    const source = { content: fs.readFileSync(abs, 'utf8') };
    if (abs.endsWith('.yul')) yul.push([unitName(file), source]);
    else if (abs.endsWith('.sol')) solidity[unitName(file)] = source;
    else fail(`not a .sol or .yul file: ${file}`);
  }

  const outputs = [];
  if (Object.keys(solidity).length > 0) outputs.push(compile('Solidity', solidity));
  // A Yul file is one object per compilation (solc takes one Yul source at a time).
  for (const [name, source] of yul) outputs.push(compile('Yul', { [name]: source }));

  const contracts = {};
  for (const output of outputs) {
    const skip = libraries(output);
    for (const perFile of Object.values(output.contracts || {})) {
      for (const [name, c] of Object.entries(perFile)) {
        const init = c.evm.bytecode.object;
        const runtime = c.evm.deployedBytecode ? c.evm.deployedBytecode.object : '';
        if (skip.has(name) || init.length === 0) continue;
        if (init.includes('__$')) fail(`${name} needs library linking, which this build does not do`);
        if (contracts[name]) fail(`two contracts named ${name}`);
        if (runtime.length / 2 > MAX_RUNTIME) {
          fail(`${name} is ${runtime.length / 2} bytes deployed, over the EIP-170 limit of ${MAX_RUNTIME}`);
        }
        contracts[name] = { init, runtime };
      }
    }
  }
  if (Object.keys(contracts).length === 0) fail('no deployable contract in the given files');

  // The manifest lists every source solc read (the given files and their
  // imports). Compiling into an existing build directory adds to its manifest.
  const read = new Set([...Object.keys(solidity), ...yul.map(([name]) => name)]);
  for (const output of outputs) for (const name of Object.keys(output.sources || {})) read.add(name);
  const manifestPath = path.join(out, 'manifest.json');
  if (clean && fs.existsSync(out)) {
    for (const f of fs.readdirSync(out)) {
      if (f.endsWith('.bin') || f === 'manifest.json') fs.unlinkSync(path.join(out, f));
    }
  }
  const previous = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : {};
  const sources = { ...(previous.sources || {}) };
  for (const name of read) {
    const content = fs.readFileSync(path.isAbsolute(name) ? name : path.join(HERE, name));
    sources[name] = crypto.createHash('sha256').update(content).digest('hex');
  }
  const sizes = { ...(previous.contracts || {}) };

  fs.mkdirSync(out, { recursive: true });
  for (const name of Object.keys(contracts).sort()) {
    const { init, runtime } = contracts[name];
    fs.writeFileSync(path.join(out, `${name}.bin`), `${init}\n`);
    sizes[name] = {
      deployedBytes: runtime.length / 2,
      initcodeBytes: init.length / 2,
      optimizer: SETTINGS.optimizer.enabled,
    };
    process.stdout.write(`${name}: ${runtime.length / 2} bytes deployed, ${init.length / 2} bytes initcode\n`);
  }
  const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const manifest = {
    generated: 'by verifier/evm/compile.js; do not edit (regenerate the EVM fixtures with verifier/evm/build.sh)',
    solc: solc.version(),
    settings: {
      optimizer: { enabled: true, runs: 200, except: 'contracts whose "optimizer" is false' },
      evmVersion: SETTINGS.evmVersion,
      metadata: SETTINGS.metadata,
    },
    sources: sorted(sources),
    contracts: sorted(sizes),
  };
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
}

main();
