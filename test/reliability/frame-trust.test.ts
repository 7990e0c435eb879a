/**
 * What the host observed beats what the guest claims (issue 14, §2).
 *
 * User code can reach the proxy's open result descriptor and learn the call number the proxy would echo
 * (Python: `__main__._result_fd` and `__main__._call_number`; Ruby: the proxy module's instance variables),
 * so it can write a well-formed result frame of its own. Such a frame may choose the call's value, as
 * returning it would; it must never hide a crash, or reach another call.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor, SessionClosedError, type ExecutionResult } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2, prestart: 0 });
afterAll(() => executor.close());

/** Python: writes a success frame for the running call (or for `number`), then runs `after`. */
const forge = (after: string, number = 'getattr(__main__, "_call_number", 0)'): string => `
import os, __main__

def forge(value="forged"):
    body = b'{"call":%d,"ok":true,"value":"%s"}' % (${number}, value.encode())
    os.write(__main__._result_fd, b"R" + len(body).to_bytes(4, "big") + body)
${after}
`;

const dropped = (result: ExecutionResult): void => {
  expect(result.status).toBe('crash');
  expect(result.result).toBeUndefined();
};

describe('a forged result frame counts only when the program then finishes normally', () => {
  it.each<[string, string, string]>([
    ['a non-zero exit', '    os._exit(3)', 'ProcessExit'],
    ['an abort (trap)', '    os.abort()', 'Trap'],
    ['a second frame (the proxy answers after it)', '    return "real"', 'ProtocolError'],
  ])('a frame followed by %s is dropped: crash', async (_name, after, type) => {
    const result = await executor.invoke({ language: 'python', code: forge(after) });
    dropped(result);
    expect(result.error?.type).toBe(type);
  });

  it('a frame that answers another call number is dropped, even with a normal exit', async () => {
    const result = await executor.invoke({ language: 'python', code: forge('    os._exit(0)', 'getattr(__main__, "_call_number", 0) + 1') });
    dropped(result);
    expect(result.error?.type).toBe('ProtocolError');
  });

  it('Ruby: a frame followed by exit!(3) is dropped', async () => {
    const code = `
def forge
  proxy = SandboxExecutorProxy
  body = "{\\"call\\":#{proxy.instance_variable_get(:@call_number) || 0},\\"ok\\":true,\\"value\\":\\"forged\\"}"
  proxy.instance_variable_get(:@result).write(["R", body.bytesize, body].pack("a1Na*"))
  exit!(3)
end
`;
    const result = await executor.invoke({ language: 'ruby', code });
    dropped(result);
    expect(result.exitCode).toBe(3);
  });

  it('what remains: one well-formed frame and a normal exit is the value the code chose', async () => {
    const result = await executor.invoke({ language: 'python', code: forge('    os._exit(0)') });
    expect(result).toMatchObject({ status: 'success', result: 'forged' });
  });
});

describe('sessions: no call ever receives another call result', () => {
  const SESSION = (after: string): string => `
import os, __main__

def answer(tag):
    if tag == "first":
        body = b'{"call":%d,"ok":true,"value":"forged"}' % getattr(__main__, "_call_number", 0)
        os.write(__main__._result_fd, b"R" + len(body).to_bytes(4, "big") + body)
${after}
    return "real:" + tag
`;

  it('an early forged frame is not taken as the answer: the call crashes and the session ends', async () => {
    const session = await executor.createSession({ language: 'python', code: SESSION('') });
    const first = await session.invoke({ functionName: 'answer', args: ['first'] });
    dropped(first);
    expect(first.error?.type).toBe('ProtocolError');
    const second = await rejection(session.invoke({ functionName: 'answer', args: ['second'] }));
    expect(second).toBeInstanceOf(SessionClosedError);
  });

  it('code that reads the next request itself cannot pass its answer off as the next call result', async () => {
    // Call 1 forges its answer, then reads standard input as the proxy would: it gets call 2's request
    // only because it asked for the next call, exactly like the proxy (see docs/reliability.md).
    const steal = `        header = os.read(0, 5)
        request = os.read(0, int.from_bytes(header[1:5], "big"))
        return "stolen:" + request.decode()`;
    const session = await executor.createSession({ language: 'python', code: SESSION(steal) });
    const first = await session.invoke({ functionName: 'answer', args: ['first'] });
    expect(first).toMatchObject({ status: 'success', result: 'forged' });
    // The proxy's answer to call 1 ("stolen:…") arrives while call 2 runs: it is refused.
    const second = await session.invoke({ functionName: 'answer', args: ['second'] });
    dropped(second);
    expect(second.error?.type).toBe('ProtocolError');
    expect(second.error?.message).toContain('answered call');
    expect(await rejection(session.invoke({ functionName: 'answer', args: ['third'] }))).toBeInstanceOf(SessionClosedError);
  });

  it('a forged frame followed by a crash ends the call as a crash', async () => {
    const session = await executor.createSession({ language: 'python', code: SESSION('        os._exit(3)') });
    dropped(await session.invoke({ functionName: 'answer', args: ['first'] }));
    expect(await rejection(session.invoke({ functionName: 'answer', args: ['second'] }))).toBeInstanceOf(SessionClosedError);
  });

  it('C: a call that raises ends the program; the call queued behind it is refused, not blamed', async () => {
    const code = '#include "sandbox.h"\nint check(int x) {\n  if (x < 0) sandbox_raise("ValueError", "negative");\n  return x * 2;\n}\n';
    const session = await executor.createSession({ language: 'c', code });
    const raised = session.invoke({ functionName: 'check', args: [-1] });
    const queued = session.invoke({ functionName: 'check', args: [2] });
    expect(await raised).toMatchObject({ status: 'error', error: { type: 'ValueError', message: 'negative' } });
    expect(await rejection(queued)).toBeInstanceOf(SessionClosedError);
  });

  it('honest calls keep working, each with its own number', async () => {
    const session = await executor.createSession({ language: 'python', code: SESSION('') });
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((tag) => session.call('answer', [tag])));
    expect(results).toEqual(['real:a', 'real:b', 'real:c', 'real:d']);
    await session.close();
  });
});
