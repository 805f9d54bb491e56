// The `mimeo` npm package itself: the bin shim, MIMEO_BINARY, and startMock's
// readiness, failure and stop behaviour, with the binary from the platform
// package npm installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startMock, binaryPath, serveArgs } from 'mimeo';

const require = createRequire(import.meta.url);
const shim = path.join(process.cwd(), 'node_modules', '.bin', 'mimeo');

test('the binary comes from the platform package', () => {
  assert.equal(process.env.MIMEO_BINARY, undefined);
  const bin = binaryPath();
  assert.equal(bin, require.resolve(`mimeo-${process.platform}-${process.arch}/bin/mimeo`));
  assert.ok(fs.statSync(bin).mode & 0o111, 'executable');
});

test('the bin shim runs the binary and passes its exit status on', () => {
  const version = execFileSync(shim, ['--version'], { encoding: 'utf8' });
  assert.match(version, /^mimeo \d+\.\d+\.\d+ \(commit \w+, contract "Twilio - Memory" /);
  const bad = spawnSync(shim, ['serve', '--port', 'not-a-port'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /not-a-port/);
});

test('MIMEO_BINARY overrides the packaged binary', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mimeo-override-'));
  const fake = path.join(dir, 'fake-mimeo');
  fs.writeFileSync(fake, '#!/bin/sh\necho "override $*"\nexit 7\n', { mode: 0o755 });
  const run = spawnSync(shim, ['a', 'b'], { encoding: 'utf8', env: { ...process.env, MIMEO_BINARY: fake } });
  assert.equal(run.stdout, 'override a b\n');
  assert.equal(run.status, 7);
  fs.rmSync(dir, { recursive: true });
});

test('options become serve flags', () => {
  assert.deepEqual(
    serveArgs({ spec: 'api.yaml', stateful: true, rules: ['GET /a=404', 'POST /b=429'], port: 0, args: ['--seed', '3'] }),
    ['serve', '--port', '0', '--spec', 'api.yaml', '--stateful', '--status', 'GET /a=404', '--status', 'POST /b=429', '--seed', '3'],
  );
});

test('file options may be file: URLs', () => {
  const spec = new URL('file:///tmp/api%20v1.yaml');
  assert.deepEqual(serveArgs({ spec, config: 'file:///tmp/c.yaml', seedState: '/tmp/s.yaml' }), [
    'serve', '--port', '0', '--spec', '/tmp/api v1.yaml', '--config', '/tmp/c.yaml', '--seed-state', '/tmp/s.yaml',
  ]);
});

test('one rule may be given as a string', async () => {
  assert.deepEqual(serveArgs({ rules: 'GET /a=404' }), ['serve', '--port', '0', '--status', 'GET /a=404']);
  assert.deepEqual(serveArgs({ rules: new Set(['GET /a=404']) }), ['serve', '--port', '0', '--status', 'GET /a=404']);
  await assert.rejects(startMock({ rules: 'GET /v1/Nowhere=200' }), /Nowhere/);
});

test('startMock rejects, never throws, on bad options', async () => {
  const started = startMock({ binary: '/nonexistent/mimeo', rules: 5 });
  assert.ok(started instanceof Promise);
  await assert.rejects(started, /rules must be a string or a list of strings/);
  await assert.rejects(startMock({ binary: '/nonexistent/mimeo' }), /cannot run/);
});

test('startMock answers on its url and stop() ends the process', async () => {
  const mock = await startMock();
  // Basic credentials, as the twilio libraries send them: the mock enforces the contract's security.
  const authorization = `Basic ${Buffer.from('AC00000000000000000000000000000001:token').toString('base64')}`;
  const res = await fetch(`${mock.url}/v1/Stores/mem_store_00000000000000000000000000/Profiles/mem_profile_00000000000000000000000000/Identifiers/email`, { headers: { authorization } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).idType, 'email');
  const { code } = await mock.stop();
  assert.equal(code, 0);
  assert.throws(() => process.kill(mock.pid, 0));
  await assert.rejects(fetch(mock.url));
  // A request log line: `TIME [SESSION] GET /v1/Stores/... -> 200 ...`.
  assert.ok(mock.log().some((l) => / GET \/v1\/Stores\/\S+ -> 200 /.test(l)), mock.log().join('\n'));
});

test('startMock rejects with the reason when the mock cannot start', async () => {
  await assert.rejects(startMock({ spec: '/nonexistent/api.yaml' }), (e) => {
    assert.match(e.message, /exited \(status 2\) before listening/);
    assert.match(e.message, /nonexistent/);
    return true;
  });
  await assert.rejects(startMock({ rules: ['GET /v1/Nowhere=200'] }), /matches no operation|Nowhere/);
});

test('a file that is not a program is refused, not run by the shell', async () => {
  // Node runs a file the kernel refuses through /bin/sh: a Git LFS pointer
  // checked out in place of the binary ran as shell commands.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mimeo-notaprogram-'));
  const lfs = path.join(dir, 'mimeo');
  fs.writeFileSync(lfs, 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n', { mode: 0o755 });
  const page = path.join(dir, 'page');
  fs.writeFileSync(page, '<html>Not Found</html>\n', { mode: 0o755 });
  await assert.rejects(startMock({ binary: lfs }), /is a Git LFS pointer, not the binary/);
  await assert.rejects(startMock({ binary: page }), /is not an executable \(it starts with "<html>Not Found/);
  const run = spawnSync(shim, ['--version'], { encoding: 'utf8', env: { ...process.env, MIMEO_BINARY: lfs } });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /is a Git LFS pointer/);
  assert.doesNotMatch(run.stderr, /not found|command/);
  fs.rmSync(dir, { recursive: true });
});

test('startMock gives up after its timeout', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mimeo-slow-'));
  const slow = path.join(dir, 'slow');
  fs.writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
  const started = Date.now();
  await assert.rejects(startMock({ binary: slow, timeout: 300 }), /not listening after 300 ms/);
  assert.ok(Date.now() - started < 5_000);
  fs.rmSync(dir, { recursive: true });
});

test('a mock never stopped dies with the process that started it', async () => {
  const script = "import { startMock } from 'mimeo'; const m = await startMock(); console.log(m.pid);";
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const pid = Number(run.stdout.trim());
  assert.ok(pid > 0, run.stdout);
  // SIGKILL is sent as the process exits; give the kernel a moment to reap it.
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false);
});

test('a mock never stopped stops when the process that started it is killed', async () => {
  // No 'exit' event (SIGKILL, a test runner's worker torn down): the closed
  // input pipe stops the mock.
  const script = "import { startMock } from 'mimeo'; const m = await startMock(); console.log(m.pid); setInterval(() => {}, 1000);";
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise((resolve, reject) => {
    let out = '';
    parent.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    parent.once('exit', () => reject(new Error(`the parent exited first: ${out}`)));
  });
  assert.ok(pid > 0);
  assert.equal(alive(pid), true);
  parent.kill('SIGKILL');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false);
});

// Alive, and not a zombie no one has reaped yet (where PID 1 does not reap).
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return true;
  }
}
