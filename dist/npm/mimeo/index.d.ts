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

export interface Mock {
  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly pid: number;
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
