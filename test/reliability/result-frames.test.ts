/**
 * Large and oversized result frames (issue 14, §1): one call must never freeze the host.
 *
 * The attacks write raw bytes on the proxy's own result descriptor, which user code can reach (Python:
 * `__main__._result_fd`), with the call number the proxy would echo, so the frames are well-formed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ResultTooLargeError, SandboxExecutor, SessionClosedError, UserCodeError, type Language } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const MIB = 1024 * 1024;
const executor = new SandboxExecutor({ poolSize: 2, prestart: 0 });
afterAll(() => executor.close());

/**
 * Writes one frame of `mib` MiB straight to the result channel, marking its second half on stdout; then
 * exits, or spins forever.
 */
const STREAM = `
import os, __main__

def stream(mib, spin=False):
    fd = __main__._result_fd
    head = b'{"call":%d,"ok":true,"value":"' % getattr(__main__, "_call_number", 0)
    tail = b'"}'
    chunk = b"x" * (1 << 20)
    os.write(fd, b"R" + (len(head) + mib * len(chunk) + len(tail)).to_bytes(4, "big") + head)
    for i in range(mib):
        if i == mib // 2:
            print("half", flush=True)
        os.write(fd, chunk)
    os.write(fd, tail)
    print("end", flush=True)
    while spin:
        pass
    os._exit(0)
`;

/** Announces a frame of 100 MiB, then says so on stdout (which it must never reach). */
const ANNOUNCE = `
import os, __main__

def announce():
    os.write(__main__._result_fd, b"R" + (100 * 1024 * 1024).to_bytes(4, "big") + b'{"call":%d,' % getattr(__main__, "_call_number", 0))
    print("the header went through", flush=True)
    return "unreachable"
`;

describe('result frames: the host never freezes', () => {
  it('a 200 MiB frame is read while the host keeps running its timers', async () => {
    // Ticks of a host interval counted while the second half of the frame (100 MiB) was arriving: the
    // stdout markers travel through the same ordered channel as the frame's bytes.
    let streaming = false;
    let ticks = 0;
    const interval = setInterval(() => {
      if (streaming) ticks++;
    }, 1);
    try {
      const result = await executor.invoke({
        language: 'python',
        code: STREAM,
        args: [200],
        maxResultBytes: 256 * MIB,
        onStdout: (text) => {
          if (text.includes('half')) streaming = true;
          if (text.includes('end')) streaming = false;
        },
      });
      expect(result.status).toBe('success');
      expect(result.stdout).toBe('half\nend\n');
      expect((result.result as string).length).toBe(200 * MIB);
    } finally {
      clearInterval(interval);
    }
    expect(ticks).toBeGreaterThanOrEqual(2);
  });

  it('timeoutMs holds while a frame streams', async () => {
    // 400 MiB, then a loop that never ends: the call can only end by its time limit.
    const result = await executor.invoke({ language: 'python', code: STREAM, args: [400, true], maxResultBytes: 480 * MIB, timeoutMs: 500 });
    expect(result.status).toBe('timeout');
    expect(result.error?.type).toBe('Timeout');
    expect(result.result).toBeUndefined();
    // The host is still in shape: the next call is served normally.
    expect(await executor.call({ language: 'python', code: 'def f():\n    return "next"\n' })).toBe('next');
  });
});

describe('maxResultBytes', () => {
  it('a frame that announces more than the limit (default 64 MiB) stops the program at its header', async () => {
    const result = await executor.invoke({ language: 'python', code: ANNOUNCE });
    expect(result.status).toBe('error');
    expect(result.error?.type).toBe('ResultTooLarge');
    expect(result.error?.message).toContain(`more than maxResultBytes (${64 * MIB})`);
    expect(result.stdout).toBe('');
    expect(result.result).toBeUndefined();
  });

  it.each<[Language, string]>([
    ['python', 'def big(n):\n    return "x" * n\n'],
    ['javascript', 'export function big(n) { return "x".repeat(n); }'],
  ])('is a request option, and call() throws ResultTooLargeError (%s)', async (language, code) => {
    const small = await executor.invoke({ language, code, args: [500], maxResultBytes: 1_000 });
    expect(small).toMatchObject({ status: 'success', result: 'x'.repeat(500) });
    const error = await rejection(executor.call({ language, code, args: [5_000], maxResultBytes: 1_000 }));
    expect(error).toBeInstanceOf(ResultTooLargeError);
    expect(error).not.toBeInstanceOf(UserCodeError);
    expect(error.code).toBe('RESULT_TOO_LARGE');
    expect(error.result.status).toBe('error');
    expect(error.result.error.type).toBe('ResultTooLarge');
  });

  it('is an executor option, and a session option (a call over it ends the session)', async () => {
    const limited = new SandboxExecutor({ poolSize: 1, prestart: 0, maxResultBytes: 1_000 });
    try {
      const code = 'def big(n):\n    return "x" * n\n';
      const result = await limited.invoke({ language: 'python', code, args: [5_000] });
      expect(result.error?.type).toBe('ResultTooLarge');
      const session = await executor.createSession({ language: 'python', code, maxResultBytes: 1_000 });
      expect(await session.call('big', [10])).toBe('x'.repeat(10));
      const over = await session.invoke({ functionName: 'big', args: [5_000] });
      expect(over).toMatchObject({ status: 'error', error: { type: 'ResultTooLarge' } });
      expect(await rejection(session.call('big', [10]))).toBeInstanceOf(SessionClosedError);
    } finally {
      await limited.close();
    }
  });
});
