// Compiled with tsc --noEmit --strict in CI: the package's types accept what
// the README shows and refuse what startMock would not take.
import {
  binaryPath,
  MimeoAdminError,
  serveArgs,
  startMock,
  type JournalEntry,
  type Mock,
  type MockState,
  type RequestPattern,
  type Session,
  type StartMockOptions,
  type Verdict,
} from 'mimeo';

const options: StartMockOptions = {
  stateful: true,
  rules: ['DELETE /v1/ControlPlane/Stores/*=429'],
  port: 0,
  onLog: (line: string) => void line,
};

export async function example(): Promise<number | null> {
  const mock: Mock = await startMock(options);
  const url: string = mock.url;
  const lines: string[] = mock.log();
  void [url, lines, binaryPath(), serveArgs(options)];
  const { code } = await mock.stop(1_000);
  return code;
}

// @ts-expect-error: the port is a number
void startMock({ port: '0' });
// @ts-expect-error: rules are strings
void startMock({ rules: [409] });
// One rule as a string; rules and args as constant (readonly) arrays.
void startMock({ rules: 'GET /v1/Stores/*/Profiles/*/Identifiers/*=404' });
void startMock({ rules: ['GET /v1/Stores/*/Profiles/*/Identifiers/*=404'] as const, args: ['--seed', '3'] as const });
void startMock({ spec: new URL('./api.yaml', 'file:///tmp/') });

// The control calls, as the READMEs show them.
export async function controls(mock: Mock): Promise<number> {
  const adminUrl: string = mock.adminUrl;
  const a: Session = mock.session('team-a');
  const headers: { 'X-Mimeo-Session': string } = a.headers;
  const name: string = a.name;
  const all: JournalEntry[] = await mock.requests({ since: new Date(), limit: 5, operation: 'CreateProfileIdentifier', invalid: false });
  const mine: JournalEntry[] = await a.requests({ unmatched: true, since: 1_796_017_968_751 });
  const missed: JournalEntry[] = await mock.unmatched({ session: 'team-a', since: '2026-11-30T05:52:48Z' });
  const first: JournalEntry | undefined = all[0];
  const status: number | undefined = first?.status;
  const body: string | undefined = first?.request.body;
  const operationId: string | null | undefined = first?.operationId;
  const pattern: RequestPattern = {
    method: 'POST',
    headers: { 'Content-Type': { contains: 'json' } },
    bodyPatterns: [{ jsonPointer: '/idType', equalTo: 'email' }, { equalToJson: { idType: 'email' } }],
  };
  const posts: number = await mock.count(pattern);
  const found: JournalEntry[] = await a.find({ method: 'POST', status: 202 });
  const state: MockState = await a.state();
  await a.setState(state);
  await a.reset();
  await mock.reset();
  const removed: number = await a.clearRequests();
  const verdict: Verdict = await mock.verdict();
  const called: number = verdict.coverage.operationsCalled;
  try {
    await mock.state();
  } catch (e) {
    if (e instanceof MimeoAdminError) {
      const code: number = e.status;
      const kind: string | undefined = e.kind;
      void [code, kind, e.body, e.message];
    }
  }
  void [adminUrl, headers, name, mine, missed, status, body, operationId, found, removed, called];
  // @ts-expect-error: a session's calls are its own
  void a.requests({ session: 'team-b' });
  // @ts-expect-error: a session's patterns are its own
  void a.count({ session: 'team-b' });
  // @ts-expect-error: a filter is a number, not text
  void mock.requests({ limit: '5' });
  // @ts-expect-error: a pattern's matchers are objects
  void mock.count({ headers: { 'Content-Type': 'json' } });
  // @ts-expect-error: the verdict belongs to the whole run, not a session
  void a.verdict();
  return posts;
}
