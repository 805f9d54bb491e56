// The `mimeo` npm package itself: the bin shim, MIMEO_BINARY, startMock's
// readiness, failure and stop behaviour, and the Mock's control calls, with
// the binary from the platform package npm installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startMock, binaryPath, serveArgs, MimeoAdminError } from 'mimeo';

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

const STORE = 'mem_store_00000000000000000000000001';
const PROFILE = 'mem_profile_00000000000000000000000001';
const IDENTIFIERS = `/v1/Stores/${STORE}/Profiles/${PROFILE}/Identifiers`;
const AUTHORIZATION = `Basic ${Buffer.from('AC00000000000000000000000000000001:token').toString('base64')}`;
const holding = (idType, value) => ({ stores: { [STORE]: { profiles: { [PROFILE]: { identifiers: { [idType]: [value] } } } } } });

test('the control calls see and shape two sessions through the real endpoints', async (t) => {
  const mock = await startMock({ stateful: true, quiet: true });
  t.after(() => mock.stop());
  assert.equal(mock.adminUrl, `${mock.url}/__admin`);
  const a = mock.session('team-a');
  const b = mock.session('team-b');
  assert.equal(a.name, 'team-a');
  assert.deepEqual(a.headers, { 'X-Mimeo-Session': 'team-a' });
  assert.throws(() => mock.session(' '), TypeError);
  const send = (session, method, path, body) =>
    fetch(mock.url + path, {
      method,
      headers: { ...session.headers, authorization: AUTHORIZATION, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
  assert.equal((await send(a, 'POST', IDENTIFIERS, { idType: 'email', value: 'ada@example.com' })).status, 202);
  assert.equal((await send(b, 'POST', IDENTIFIERS, { idType: 'phone', value: '+15551234567' })).status, 202);
  assert.equal((await send(b, 'GET', '/v1/Nowhere')).status, 404);

  // The journal: newest first, every session, filtered by the endpoint.
  const all = await mock.requests();
  assert.deepEqual(all.map((e) => [e.session, e.request.method, e.status]), [
    ['team-b', 'GET', 404],
    ['team-b', 'POST', 202],
    ['team-a', 'POST', 202],
  ]);
  assert.deepEqual((await mock.requests({ session: 'team-a' })).map((e) => e.id), [all[2].id]);
  assert.deepEqual((await a.requests()).map((e) => e.request.body), ['{"idType":"email","value":"ada@example.com"}']);
  assert.equal((await b.requests()).length, 2);
  assert.equal((await mock.requests({ operation: 'CreateProfileIdentifier' })).length, 2);
  assert.equal((await mock.requests({ limit: 1 }))[0].id, all[0].id);
  assert.equal((await b.requests({ unmatched: true })).length, 1);
  await assert.rejects(a.requests({ session: 'team-b' }), TypeError);
  assert.deepEqual((await mock.unmatched()).map((e) => e.request.url), ['/v1/Nowhere']);
  assert.deepEqual(await a.unmatched(), []);
  await new Promise((r) => setTimeout(r, 5));
  const since = new Date();
  assert.deepEqual(await mock.requests({ since }), []);
  assert.equal((await send(a, 'GET', `${IDENTIFIERS}/email`)).status, 200);
  assert.deepEqual((await mock.requests({ since })).map((e) => e.request.method), ['GET']);

  // Request patterns, scoped or not.
  assert.equal(await mock.count(), 4);
  assert.equal(await mock.count({ method: 'POST' }), 2);
  assert.equal(await a.count({ method: 'POST' }), 1);
  assert.equal(await mock.count({ bodyPatterns: [{ jsonPointer: '/idType', equalTo: 'phone' }] }), 1);
  assert.deepEqual((await b.find({ method: 'POST' })).map((e) => JSON.parse(e.request.body).value), ['+15551234567']);
  assert.deepEqual(await a.find({ method: 'DELETE' }), []);

  // State: each session's own; the Mock's is the default session's.
  assert.deepEqual(await a.state(), holding('email', 'ada@example.com'));
  assert.deepEqual(await b.state(), holding('phone', '+15551234567'));
  assert.deepEqual(await mock.state(), {});
  const c = mock.session('team-c');
  await c.setState(holding('email', 'grace@example.com'));
  assert.deepEqual(await c.state(), holding('email', 'grace@example.com'));
  const read = await send(c, 'GET', `${IDENTIFIERS}/email`);
  assert.deepEqual((await read.json()).values, ['grace@example.com']);

  // Resetting one session empties it (state and journal) and leaves the others.
  await a.reset();
  assert.deepEqual(await a.state(), {});
  assert.deepEqual(await a.requests(), []);
  assert.deepEqual(await b.state(), holding('phone', '+15551234567'));
  assert.equal((await b.requests()).length, 2);
  assert.equal(await b.clearRequests(), 2);
  assert.deepEqual(await b.requests(), []);
  assert.deepEqual(await b.state(), holding('phone', '+15551234567'), 'clearing the journal keeps the state');
  assert.equal((await mock.requests()).length, 1);

  // The verdict counts the whole run, whatever the journal holds now.
  const verdict = await mock.verdict();
  assert.equal(verdict.requests, 5);
  assert.equal(verdict.operations.find((o) => o.operationId === 'CreateProfileIdentifier').calls, 2);
  assert.equal(verdict.unmatched.calls, 1);

  // A refused call rejects with the server's status and message.
  await assert.rejects(mock.count({ sesion: 'team-a' }), (e) => {
    assert.ok(e instanceof MimeoAdminError);
    assert.equal(e.status, 400);
    assert.equal(e.kind, 'invalid-pattern');
    assert.match(e.message, /POST http:\/\/\S+\/__admin\/requests\/count answered 400: .*unknown field `sesion`/);
    return true;
  });
  await assert.rejects(mock.requests({ bogus: 1 }), (e) => e.status === 400 && /unknown query parameter `bogus`/.test(e.message));
  await assert.rejects(c.setState({ stores: 5 }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.kind, 'invalid-state');
    assert.match(e.message, /the state was refused: state: at #\/stores/);
    return true;
  });
  assert.deepEqual(await c.state(), holding('email', 'grace@example.com'), 'a refused state changes nothing');

  // The Mock's reset is every session's.
  await mock.reset();
  assert.deepEqual(await b.state(), {});
  assert.deepEqual(await c.state(), {});
  assert.deepEqual(await mock.requests(), []);
});

test('a session name is visible ASCII, as the header carries it', async (t) => {
  // fetch sends a header as latin-1 and the mock reads it as UTF-8: 'café'
  // was journaled as 'caf\uFFFD' and its count() was 0, a false "sent nothing".
  const mock = await startMock({ quiet: true });
  t.after(() => mock.stop());
  for (const bad of ['café', 'Ω', '会话', ' lead', 'trail ', 'tab\there', 'line\nbreak', 'del\x7f', '', ' ', 5, undefined]) {
    assert.throws(
      () => mock.session(bad),
      (e) => e instanceof TypeError && /visible ASCII \(0x21-0x7E\) and spaces, not starting or ending with a space/.test(e.message),
      JSON.stringify(bad),
    );
  }
  const s = mock.session('team a/1 (ok)');
  assert.equal((await fetch(`${mock.url}/v1/Nowhere`, { headers: s.headers })).status, 404);
  assert.deepEqual((await mock.requests()).map((e) => e.session), ['team a/1 (ok)']);
  assert.equal(await s.count(), 1);
  assert.equal((await s.requests()).length, 1);
});

test('the control calls follow --admin-prefix and fail loudly where there is nothing', async (t) => {
  const mock = await startMock({ args: ['--admin-prefix', '/_ctl/', '--no-journal'] });
  t.after(() => mock.stop());
  assert.equal(mock.adminUrl, `${mock.url}/_ctl`);
  assert.equal((await mock.verdict()).tool, 'mimeo serve');
  await assert.rejects(mock.state(), (e) => e.status === 404 && e.kind === 'not-stateful');
  // Every journal call says so with the same kind: the lists as the mock
  // answered them (200, nothing kept), the others with its 409.
  const disabled = (status) => (e) => {
    assert.ok(e instanceof MimeoAdminError);
    assert.equal(e.kind, 'journal-disabled');
    assert.equal(e.status, status);
    assert.match(e.message, new RegExp(`answered ${status}: the request journal is disabled \\(--no-journal\\)`));
    return true;
  };
  await assert.rejects(mock.requests(), disabled(200));
  await assert.rejects(mock.unmatched(), disabled(200));
  await assert.rejects(mock.session('x').requests(), disabled(200));
  await assert.rejects(mock.count(), disabled(409));
  await assert.rejects(mock.find(), disabled(409));
  await assert.rejects(mock.clearRequests(), disabled(409));
  const other = await startMock({ stateful: true, args: ['--admin-prefix=/ops'] });
  t.after(() => other.stop());
  assert.equal(other.adminUrl, `${other.url}/ops`);
  assert.deepEqual(await other.session('x').state(), {});
  // Under the default prefix there is no control endpoint (the contract's 404).
  const res = await fetch(`${other.url}/__admin/state`);
  assert.equal(res.status, 404);
});

test('an admin call that gets no answer rejects with a MimeoAdminError, not fetch\'s error', async (t) => {
  const noAnswer = (method, url, detail) => (e) => {
    assert.ok(e instanceof MimeoAdminError, e.stack);
    assert.equal(e.status, 0);
    assert.equal(e.kind, 'unreachable');
    assert.equal(e.body, null);
    assert.equal(e.message, `mimeo: ${method} ${url} got no answer: ${detail}`);
    return true;
  };
  // After stop(): the mock is known to be gone, so nothing is sent (its port
  // may be another server's by now).
  const mock = await startMock({ quiet: true });
  const s = mock.session('x');
  await mock.stop();
  const exited = 'the mock has exited (status 0)';
  await assert.rejects(mock.requests({ limit: 1 }), noAnswer('GET', `${mock.adminUrl}/requests?limit=1`, exited));
  await assert.rejects(s.count(), noAnswer('POST', `${mock.adminUrl}/requests/count`, exited));
  await assert.rejects(mock.verdict(), noAnswer('GET', `${mock.adminUrl}/verdict`, exited));
  await assert.rejects(s.reset(), noAnswer('POST', `${mock.adminUrl}/reset?session=x`, exited));

  // A refused connection: a stand-in that says it listens on a port where nothing does.
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mimeo-refused-'));
  t.after(() => fs.rmSync(dir, { recursive: true }));
  const fake = path.join(dir, 'mimeo');
  fs.writeFileSync(fake, `#!/bin/sh\necho "mimeo: listening on http://127.0.0.1:${port}"\nexec sleep 30\n`, { mode: 0o755 });
  const refused = await startMock({ binary: fake });
  t.after(() => refused.stop());
  await assert.rejects(refused.requests(), (e) => {
    noAnswer('GET', `http://127.0.0.1:${port}/__admin/requests`, `connect ECONNREFUSED 127.0.0.1:${port}`)(e);
    assert.ok(e.cause instanceof Error, 'the error fetch gave is its cause');
    return true;
  });
  await assert.rejects(refused.session('y').state(), noAnswer('GET', `http://127.0.0.1:${port}/__admin/state?session=y`, `connect ECONNREFUSED 127.0.0.1:${port}`));
});
