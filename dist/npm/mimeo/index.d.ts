/** Options of startMock(): each maps to a `mimeo serve` flag. */
export interface StartMockOptions {
  /** OpenAPI document (`--spec`: a path, or a `file:` URL); the embedded Twilio Memory v1 contract by default. */
  spec?: string | URL;
  /** Simulate the service: reads reflect earlier writes (`--stateful`). */
  stateful?: boolean;
  /** Server-side rules (`--status`), one or several, e.g. `"PATCH /v1/Stores/*\/Profiles/*\/Identifiers/*=409"`. */
  rules?: string | readonly string[];
  /** A YAML config with rules and latency (`--config`). */
  config?: string | URL;
  /** The state every session starts from (`--seed-state`). */
  seedState?: string | URL;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /** No log line per request (`--quiet`). */
  quiet?: boolean;
  /** Further `mimeo serve` arguments, appended as given. */
  args?: readonly string[];
  /** Milliseconds to wait for the readiness line; 10000 by default. */
  timeout?: number;
  /** The executable to run; binaryPath() by default. */
  binary?: string;
  /** The mock's environment; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Called with each line the mock writes on stderr (one per request). */
  onLog?: (line: string) => void;
}

/** Filters of `GET /__admin/requests` and `/requests/unmatched`; each given one must hold. */
export interface RequestFilters {
  /** Entries from then on: a Date, epoch milliseconds, or RFC 3339 text. */
  since?: Date | number | string;
  /** At most this many (the newest). */
  limit?: number;
  /** One session's entries. */
  session?: string;
  /** An operationId, or `METHOD /template`. */
  operation?: string;
  /** Only requests no operation serves. */
  unmatched?: boolean;
  /** Only requests that broke the contract. */
  invalid?: boolean;
}

/** A matcher of a header, a query parameter or a body value; each given field must hold. */
export interface StringMatcher {
  equalTo?: string;
  contains?: string;
  /** A regular expression the whole value must match. */
  matches?: string;
  doesNotMatch?: string;
  absent?: boolean;
  caseInsensitive?: boolean;
}

export interface BodyPattern extends StringMatcher {
  /** The value to match (the whole body when left out). */
  jsonPointer?: string;
  /** A JSON value, or (as WireMock writes it) JSON text. */
  equalToJson?: unknown;
}

/** A request pattern (`POST /__admin/requests/count`, `/find`), WireMock's fields: every field given must match. */
export interface RequestPattern {
  /** `GET`, `POST`, ... or `ANY`. */
  method?: string;
  url?: string;
  urlPath?: string;
  /** Regular expressions matching the whole path, or the whole URL. */
  urlPathPattern?: string;
  urlPattern?: string;
  /** The contract's template of the operation matched. */
  pathTemplate?: string;
  operationId?: string;
  session?: string;
  headers?: Record<string, StringMatcher>;
  queryParameters?: Record<string, StringMatcher>;
  bodyPatterns?: readonly BodyPattern[];
  wasMatched?: boolean;
  valid?: boolean;
  status?: number;
}

/** One broken rule of the contract. */
export interface RequestViolation {
  /** `path`, `query`, `header`, `cookie` or `body`. */
  location: string;
  name: string;
  /** A JSON Schema keyword (`required`, `pattern`, ...) or `content-type`, `json`, `accept`, `unknown`. */
  rule: string;
  message: string;
}

/** One journal entry (credentials redacted), as `GET /__admin/requests` gives it. */
export interface JournalEntry {
  id: string;
  request: {
    url: string;
    absoluteUrl: string;
    method: string;
    clientIp: string;
    /** By lower-case name. */
    headers: Record<string, string>;
    queryParams: Record<string, string[]>;
    body: string;
    bodyAsBase64?: string;
    bodySize: number;
    bodyTruncated: boolean;
    /** Epoch milliseconds. */
    loggedDate: number;
    loggedDateString: string;
  };
  wasMatched: boolean;
  session: string;
  operationId: string | null;
  operation: string | null;
  valid: boolean;
  violations: RequestViolation[];
  /** 0 for a fault (no answer). */
  status: number;
  /** Why the mock answered so: `default`, `prefer`, `rule`, `state`, `fault`, `invalid`, ... */
  reason: { kind: string; [detail: string]: unknown };
  draws: Record<string, unknown>;
  responseDefinition: { status: number };
  timing: { totalMs: number };
}

/** One operation's calls and violations in a verdict. */
export interface OperationVerdict {
  operationId: string | null;
  operation: string;
  calls: number;
  statuses: Record<string, number>;
  violations: number;
  failingRequests: number;
  byRule: Record<string, number>;
  failures: Array<{ operation: string; request: string; session: string; check: string; rule: string; message: string }>;
}

/** The verdict so far (`GET /__admin/verdict`). */
export interface Verdict {
  tool: string;
  contract: string;
  requests: number;
  violating: number;
  operations: OperationVerdict[];
  unmatched: OperationVerdict;
  coverage: {
    operationsCalled: number;
    operationsDocumented: number;
    statusesAnswered: number;
    statusesDocumented: number;
    notCalled: string[];
  };
}

/** A session's (or, with --stateful, the model's) state, as `GET /__admin/state` gives it. */
export type MockState = Record<string, unknown>;

/**
 * An admin call answered with a non-2xx status (or with something that is not
 * JSON). `requests()` and `unmatched()` of a mock started with `--no-journal`
 * reject with it too: the mock's 200, and the `kind` the other journal calls
 * get with its 409, `journal-disabled`.
 *
 * A call that got no answer rejects with it as well: `status` 0, `kind`
 * `unreachable`, `body` null, and a message naming the call, its URL and the
 * cause (`the mock has exited (status 0)` after stop(), when nothing is sent;
 * `connect ECONNREFUSED 127.0.0.1:41234`; nothing within 30 s). The error
 * fetch gave is its `cause`.
 */
export class MimeoAdminError extends Error {
  readonly name: 'MimeoAdminError';
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The server's `mimeo_error` (`invalid-pattern`, `not-stateful`, `invalid-state`, `journal-disabled`, ...), if it gave one; `unreachable` when no answer came. */
  readonly kind: string | undefined;
  /** The answer: its JSON (`message`, and `errors` for a refused state), else its text; null when no answer came. */
  readonly body: unknown;
}

/**
 * The control endpoints, each one request: on a Mock for every session (its
 * state: the default session's), on a Session for that session alone.
 */
export interface Controls {
  /** `POST /__admin/reset`: state, rule sequences, chaos draws and journal entries start over (the Mock's: every session's). */
  reset(): Promise<void>;
  /** `GET /__admin/state`. */
  state(): Promise<MockState>;
  /** `PUT /__admin/state`: replaces the state; rejects (400, every problem) when the model refuses it. */
  setState(state: object): Promise<void>;
  /** `GET /__admin/requests`: journal entries, newest first. */
  requests(filters?: RequestFilters): Promise<JournalEntry[]>;
  /** `GET /__admin/requests/unmatched`: requests no operation serves, newest first. */
  unmatched(filters?: RequestFilters): Promise<JournalEntry[]>;
  /** `POST /__admin/requests/count`: how many entries the pattern matches. */
  count(pattern?: RequestPattern): Promise<number>;
  /** `POST /__admin/requests/find`: the entries the pattern matches, newest first. */
  find(pattern?: RequestPattern): Promise<JournalEntry[]>;
  /** `DELETE /__admin/requests`: clears the journal; resolves with how many entries went. */
  clearRequests(): Promise<number>;
}

/** One session (`X-Mimeo-Session`): send `headers` with the client's requests; the calls act on it alone. */
export interface Session extends Controls {
  readonly name: string;
  readonly headers: { 'X-Mimeo-Session': string };
  /** Its own entries (a filter naming another session rejects). */
  requests(filters?: Omit<RequestFilters, 'session'>): Promise<JournalEntry[]>;
  unmatched(filters?: Omit<RequestFilters, 'session'>): Promise<JournalEntry[]>;
  count(pattern?: Omit<RequestPattern, 'session'>): Promise<number>;
  find(pattern?: Omit<RequestPattern, 'session'>): Promise<JournalEntry[]>;
}

export interface Mock extends Controls {
  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The control endpoints' base, e.g. `http://127.0.0.1:41234/__admin` (`--admin-prefix` in `args` is followed). */
  readonly adminUrl: string;
  readonly pid: number;
  /** `GET /__admin/verdict`: the verdict of the whole run so far (every session). */
  verdict(): Promise<Verdict>;
  /**
   * A session by name: its headers, and the control calls scoped to it. The
   * name is sent in the `X-Mimeo-Session` header, so it must be visible ASCII
   * (0x21-0x7E) and spaces, not starting or ending with a space: another
   * throws a TypeError (a header would carry it garbled, and the journal would
   * keep its requests under another name).
   */
  session(name: string): Session;
  /** Stops the mock: SIGTERM, then SIGKILL after `grace` ms (5000). */
  stop(grace?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the mock wrote on stderr. */
  log(): string[];
}

/** Runs `mimeo serve` and resolves once it is listening. */
export function startMock(options?: StartMockOptions): Promise<Mock>;

/** The mimeo executable: `MIMEO_BINARY`, else the one from this platform's package. */
export function binaryPath(): string;

/** The `mimeo serve` arguments startMock() would pass for these options. */
export function serveArgs(options: StartMockOptions): string[];
