// Compiled with tsc --noEmit --strict in CI: the package's types accept what
// the README shows and refuse what startMock would not take.
import { binaryPath, serveArgs, startMock, type Mock, type StartMockOptions } from 'mimeo';

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
