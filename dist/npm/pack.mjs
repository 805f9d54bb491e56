// Makes the npm packages from built binaries, without publishing anything:
// one package per platform (os, cpu, libc; just the executable) and the main
// package `mimeo` (shim, JavaScript API, types) whose optionalDependencies name
// exactly the platforms given here, so npm installs only the matching one.
//
//   node dist/npm/pack.mjs OUT_DIR linux-x64=target/x86_64-unknown-linux-gnu/dist/mimeo ...
//
// Keys are Node's `${process.platform}-${process.arch}`. Platform packages are
// only named for binaries that exist: a name listed but never published could
// be taken by someone else and installed by every user.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const [outArg, ...binaries] = process.argv.slice(2);
if (!outArg || binaries.length === 0) {
  console.error('usage: node dist/npm/pack.mjs OUT_DIR PLATFORM-ARCH=BINARY ...');
  process.exit(2);
}
const out = path.resolve(outArg);
fs.mkdirSync(out, { recursive: true });

const cargo = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
const version = /^version = "([^"]+)"$/m.exec(cargo)[1];
const license = /^license = "([^"]+)"$/m.exec(cargo)[1];

function pack(dir) {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
  });
  const file = path.join(out, name.trim().split('\n').pop());
  console.log(`npm: ${file}`);
  return file;
}

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'mimeo-npm-'));
const platforms = {};
try {
  for (const spec of binaries) {
    const [key, binary] = spec.split('=');
    const [platform, arch] = key.split('-');
    const name = `mimeo-${key}`;
    const exe = platform === 'win32' ? 'mimeo.exe' : 'mimeo';
    const dir = path.join(stage, name);
    fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
    fs.copyFileSync(binary, path.join(dir, 'bin', exe));
    fs.chmodSync(path.join(dir, 'bin', exe), 0o755);
    const manifest = {
      name,
      version,
      description: `The mimeo binary for ${key}; installed by the \`mimeo\` package.`,
      license,
      os: [platform],
      cpu: [arch],
      files: [`bin/${exe}`],
      preferUnplugged: true,
    };
    // The Linux binary is static (glibc linked in), so one package serves
    // glibc and musl systems alike.
    if (platform === 'linux') manifest.libc = ['glibc', 'musl'];
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    fs.writeFileSync(
      path.join(dir, 'README.md'),
      `# ${name}\n\nThe \`mimeo\` executable for ${key}. Install [\`mimeo\`](https://www.npmjs.com/package/mimeo) instead; it depends on this package.\n`,
    );
    pack(dir);
    platforms[key] = name;
  }

  const dir = path.join(stage, 'mimeo');
  fs.cpSync(path.join(here, 'mimeo'), dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  manifest.version = version;
  manifest.license = license;
  manifest.optionalDependencies = Object.fromEntries(
    Object.values(platforms).map((name) => [name, version]),
  );
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'platforms.json'), JSON.stringify(platforms, null, 2) + '\n');
  pack(dir);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
