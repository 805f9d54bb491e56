'use strict';
// The mimeo binary from JavaScript: where it is (the platform package npm
// installed, or MIMEO_BINARY), and startMock() for test runners, which runs
// `mimeo serve` on a free port and resolves once its readiness line is out.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const readline = require('node:readline');
const { fileURLToPath } = require('node:url');

// process.platform-process.arch -> the package carrying that binary. Only
// platforms listed here and in optionalDependencies are built and published.
const PLATFORMS = require('./platforms.json');

const READY = /^mimeo: listening on (http:\/\/\S+)$/;

// Mocks still running when this process exits are killed with it, so a test
// run that never called stop() leaves no server behind. One listener for all.
// (Where no 'exit' event comes, the closed input pipe stops the mock.)
const running = new Set();
let exitHook = false;
function track(child) {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  running.add(child);
}

// How programs start: ELF, Mach-O (both byte orders, 32/64-bit, universal),
// PE, and `#!` for a script standing in for the binary.
const PROGRAM_STARTS = [
  [0x7f, 0x45, 0x4c, 0x46],
  [0xfe, 0xed, 0xfa, 0xce],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xce, 0xfa, 0xed, 0xfe],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xca, 0xfe, 0xba, 0xbe],
  [0x4d, 0x5a],
  [0x23, 0x21],
];

/**
 * Throws unless `file` starts as a program does. Node (libuv) runs a file the
 * kernel refuses to execute through /bin/sh, so a Git LFS pointer or an HTML
 * error page saved as the binary would run as shell commands and fail in a
 * way nobody can read. A file that cannot be read is left for spawn to report.
 */
function checkProgram(file) {
  let head;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(64);
      head = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return;
  }
  if (PROGRAM_STARTS.some((magic) => magic.every((b, i) => head[i] === b))) return;
  const text = head.toString('latin1');
  if (text.startsWith('version https://git-lfs')) {
    throw new Error(
      `mimeo: ${file} is a Git LFS pointer, not the binary (its content was never fetched): ` +
        'run `git lfs pull`, or install the package again',
    );
  }
  throw new Error(
    `mimeo: ${file} is not an executable (it starts with ${JSON.stringify(text.slice(0, 24))}): ` +
      'install the package again, or set MIMEO_BINARY to a mimeo executable',
  );
}

/** The path of the mimeo executable: MIMEO_BINARY, else the platform package's. */
function binaryPath() {
  const override = process.env.MIMEO_BINARY;
  if (override) {
    checkProgram(override);
    return override;
  }
  const key = `${process.platform}-${process.arch}`;
  const pkg = PLATFORMS[key];
  if (!pkg) {
    throw new Error(
      `mimeo: no binary is published for ${key} (there are: ${Object.keys(PLATFORMS).join(', ')}); ` +
        'build one with `cargo install mimeo` and set MIMEO_BINARY to it',
    );
  }
  const exe = process.platform === 'win32' ? 'mimeo.exe' : 'mimeo';
  let found;
  try {
    found = require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    throw new Error(
      `mimeo: the package ${pkg} is not installed. npm skips it when optional dependencies ` +
        'are omitted (--omit=optional, --no-optional) or the lockfile was made on another ' +
        'platform; install again without that, or set MIMEO_BINARY to a mimeo executable',
    );
  }
  checkProgram(found);
  return found;
}

/** A file option as a path: a `file:` URL (`new URL('api.yaml', import.meta.url)`) too. */
function filePath(p) {
  return p instanceof URL || /^file:/i.test(String(p)) ? fileURLToPath(p) : String(p);
}

/** The `mimeo serve` arguments for startMock's options. */
function serveArgs(o) {
  const args = ['serve', '--port', String(o.port ?? 0)];
  if (o.host) args.push('--host', o.host);
  if (o.spec) args.push('--spec', filePath(o.spec));
  if (o.stateful) args.push('--stateful');
  if (o.config) args.push('--config', filePath(o.config));
  if (o.seedState) args.push('--seed-state', filePath(o.seedState));
  // One rule may be given as a string; several as any iterable.
  const given = o.rules ?? [];
  if (typeof given !== 'string' && typeof given[Symbol.iterator] !== 'function') {
    throw new TypeError(`mimeo: rules must be a string or a list of strings, not ${typeof given}`);
  }
  const rules = typeof given === 'string' ? [given] : Array.from(given);
  for (const rule of rules) args.push('--status', String(rule));
  if (o.quiet) args.push('--quiet');
  return args.concat(o.args ?? []);
}

/**
 * Starts `mimeo serve` and resolves once it listens, with `{ url, pid, stop() }`.
 * Rejects if it exits first (with what it printed on stderr) or is not ready
 * within `timeout` ms. The mock stops when this process ends, however it ends,
 * if stop() is never called.
 */
function startMock(options = {}) {
  // Bad options and a missing binary reject the promise, as every other failure does.
  try {
    return start(options);
  } catch (e) {
    return Promise.reject(e);
  }
}

function start(options) {
  const binary = options.binary ?? binaryPath();
  if (options.binary) checkProgram(binary);
  const timeout = options.timeout ?? 10_000;
  // The mock's input is a pipe this process holds: however this process ends
  // (killed, or a test runner's worker torn down without an 'exit' event), the
  // pipe closes and the mock stops (--stop-on-stdin-close).
  const args = serveArgs(options);
  if (!args.includes('--stop-on-stdin-close')) args.push('--stop-on-stdin-close');
  const child = spawn(binary, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  child.stdin.on('error', () => {}); // (EPIPE once the mock has gone)
  // The last lines on stderr, for the error message when it fails to start.
  const stderr = [];
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    if (options.onLog) options.onLog(line);
    stderr.push(line);
    if (stderr.length > 40) stderr.shift();
  });
  track(child);

  let exited = null;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve(exited);
    });
  });

  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mimeo: not listening after ${timeout} ms\n${stderr.join('\n')}`));
    }, timeout);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`mimeo: cannot run ${binary}: ${e.message}`));
    });
    // stdout is read to its end (not just to the readiness line), so the
    // server never blocks on a full pipe.
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = READY.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`mimeo serve exited (${signal ?? `status ${code}`}) before listening\n${stderr.join('\n')}`),
      );
    });
  });

  const prefix = adminPrefix(args);
  // Once the mock has exited its calls are not sent: its port may be another server's by now.
  const gone = () => exited && `the mock has exited (${exited.signal ? `killed by ${exited.signal}` : `status ${exited.code}`})`;
  return ready.then((url) => {
    // A forgotten stop() must not keep the test runner waiting.
    child.unref();
    child.stdin.unref?.();
    child.stdout.unref?.();
    child.stderr.unref?.();
    return {
      url,
      pid: child.pid,
      adminUrl: url + prefix,
      // The control endpoints: every session's journal, the default session's
      // state, and a reset of everything (see session() for one session's).
      ...controls(url + prefix, undefined, gone),
      /** The verdict so far (`GET /__admin/verdict`): the whole run's, all sessions. */
      verdict: () => admin(url + prefix, 'GET', '/verdict', {}, gone),
      /** One session: the headers that put a request in it, and the calls above scoped to it. */
      session(name) {
        checkSessionName(name);
        return { name, headers: { 'X-Mimeo-Session': name }, ...controls(url + prefix, name, gone) };
      },
      /** Stops the mock (SIGTERM, then SIGKILL after `grace` ms); resolves with its exit. */
      stop(grace = 5_000) {
        if (exited) return Promise.resolve(exited);
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), grace);
        return exit.finally(() => clearTimeout(force));
      },
      /** The last lines the mock wrote on stderr (its request log). */
      log: () => stderr.slice(),
    };
  });
}

// A session name travels in the X-Mimeo-Session header: fetch sends a header
// as latin-1 (and refuses anything above U+00FF) while the mock reads UTF-8 and
// trims spaces, so only visible ASCII and inner spaces name the same session
// in the header, the journal and the `?session=` query.
const SESSION_NAME = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

function checkSessionName(name) {
  if (typeof name !== 'string' || !SESSION_NAME.test(name)) {
    throw new TypeError(
      'mimeo: a session name is sent in the X-Mimeo-Session header, so it must be visible ASCII (0x21-0x7E) ' +
        `and spaces, not starting or ending with a space: ${typeof name === 'string' ? JSON.stringify(name) : typeof name} is not`,
    );
  }
}

/** `--admin-prefix` as given in the serve arguments (the last one), else `/__admin`. */
function adminPrefix(args) {
  let prefix = '/__admin';
  for (let i = 0; i < args.length; i++) {
    const arg = String(args[i]);
    if (arg === '--admin-prefix' && i + 1 < args.length) prefix = String(args[++i]);
    else if (arg.startsWith('--admin-prefix=')) prefix = arg.slice('--admin-prefix='.length);
  }
  // mimeo drops trailing slashes too.
  return prefix.replace(/\/+$/, '');
}

/**
 * An admin call that got a non-2xx answer (or one that is not JSON), an answer
 * that holds nothing to give, or no answer at all (`status` 0, `kind`
 * `unreachable`, `body` null, `cause` the error fetch gave). `kind` and
 * `detail`, when given, stand in for the server's own.
 */
class MimeoAdminError extends Error {
  constructor(method, url, status, body, text, { kind, detail, cause } = {}) {
    detail ??= body && typeof body.message === 'string'
      ? body.message + (Array.isArray(body.errors) ? `: ${body.errors.join('; ')}` : '')
      : `${text.slice(0, 500) || '(no body)'}${status >= 200 && status < 300 ? ' (not JSON)' : ''}`;
    super(
      `mimeo: ${method} ${url} ${status === 0 ? 'got no answer' : `answered ${status}`}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'MimeoAdminError';
    this.status = status;
    /** The server's `mimeo_error` (`invalid-pattern`, `not-stateful`, ...), if it gave one. */
    this.kind = kind ?? body?.mimeo_error;
    this.body = status === 0 ? null : body ?? text;
  }
}

/** A call that got no answer: `why`, or what fetch said (its cause's words: `connect ECONNREFUSED ...`). */
function noAnswer(method, url, why, cause) {
  let detail = why;
  if (detail === undefined) {
    const reason = cause?.cause ?? cause;
    detail = cause?.name === 'TimeoutError'
      ? `nothing within ${ADMIN_TIMEOUT / 1000} s`
      : reason?.message || reason?.code || String(reason);
  }
  return new MimeoAdminError(method, url, 0, null, '', { kind: 'unreachable', detail, cause });
}

/** How long an admin call waits: a wedged mock fails the call instead of hanging the test. */
const ADMIN_TIMEOUT = 30_000;

/** An endpoint's URL with the given query parameters (those undefined or null left out). */
function requestUrl(endpoint, query) {
  const url = new URL(endpoint);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    // `since` as a Date: epoch milliseconds, which the journal takes.
    url.searchParams.set(key, value instanceof Date ? String(value.getTime()) : String(value));
  }
  return url;
}

/**
 * One call of a control endpoint; resolves with its JSON answer. Not sent when
 * `gone()` says why the mock cannot answer.
 */
async function admin(base, method, path, { query, body } = {}, gone) {
  const url = requestUrl(base + path, query);
  const why = gone?.();
  if (why) throw noAnswer(method, url.href, why);
  let res;
  let text;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ADMIN_TIMEOUT),
    });
    text = await res.text();
  } catch (e) {
    throw noAnswer(method, url.href, undefined, e);
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok || json === undefined) throw new MimeoAdminError(method, url.href, res.status, json, text);
  return json;
}

/**
 * The journal, state and reset calls, for every session (`session` undefined)
 * or scoped to one: each is one request to the endpoint README.md describes.
 */
function controls(base, session, gone) {
  const call = (method, path, options) => admin(base, method, path, options, gone);
  // Scoped calls name the session in the query or the pattern, as the
  // endpoints take it (`?session=`, a pattern's `session`).
  const scoped = session === undefined ? {} : { session };
  // A scoped call names its own session; another one is a mistake, not a filter.
  const own = (given) => {
    if (session !== undefined && given?.session !== undefined && given.session !== session) {
      throw new TypeError(`mimeo: session ${JSON.stringify(session)} was given session ${JSON.stringify(given.session)}`);
    }
    return { ...given, ...scoped };
  };
  // The journal answers 200 with nothing when it is off (--no-journal): an
  // empty list there would pass any "sent nothing" check, so it is an error,
  // of the kind the other journal calls get (with the mock's 409).
  const entries = (answer, path, query) => {
    if (answer.requestJournalDisabled) {
      throw new MimeoAdminError('GET', requestUrl(base + path, query).href, 200, answer, '', {
        kind: 'journal-disabled',
        detail: 'the request journal is disabled (--no-journal); nothing was kept',
      });
    }
    return answer.requests;
  };
  // Async functions, so a bad argument rejects as a failed call does.
  return {
    /** Starts over (state, rule sequences, chaos draws, journal entries): this session, or every session. */
    reset: async () => {
      await call('POST', '/reset', { query: session === undefined ? { all: true } : scoped });
    },
    /** The state (`GET /state`): this session's, or the default session's. */
    state: async () => call('GET', '/state', { query: scoped }),
    /** Replaces the state (`PUT /state`); rejects with every problem when the model refuses it. */
    setState: async (state) => {
      await call('PUT', '/state', { query: scoped, body: state });
    },
    /** Journal entries, newest first, with `GET /requests`' filters. */
    requests: async (filters) => {
      const query = own(filters);
      return entries(await call('GET', '/requests', { query }), '/requests', query);
    },
    /** Requests no operation serves (`GET /requests/unmatched`), with the same filters. */
    unmatched: async (filters) => {
      const query = own(filters);
      return entries(await call('GET', '/requests/unmatched', { query }), '/requests/unmatched', query);
    },
    /** How many journal entries a request pattern matches (`POST /requests/count`). */
    count: async (pattern) => (await call('POST', '/requests/count', { body: own(pattern) })).count,
    /** The journal entries a request pattern matches, newest first (`POST /requests/find`). */
    find: async (pattern) => (await call('POST', '/requests/find', { body: own(pattern) })).requests,
    /** Clears the journal (`DELETE /requests`): this session's entries, or all; resolves with how many went. */
    clearRequests: async () => (await call('DELETE', '/requests', { query: scoped })).removed,
  };
}

module.exports = { startMock, binaryPath, serveArgs, MimeoAdminError };
