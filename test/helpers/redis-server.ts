/**
 * A real `redis-server` for the queue tests: started on a free port in a temporary folder, waited for by
 * its "Ready to accept connections" line (never by a sleep), stopped with the test file.
 *
 * When redis-server is not installed the queue tests skip, saying why (`.ci/run` installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why the queue tests cannot run here, or undefined when they can. */
export const REDIS_MISSING: string | undefined = (() => {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : 'redis-server is not installed (apt-get install redis-server; .ci/run installs it)';
})();

/** A running redis-server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  dispose(): Promise<void>;
}

/** A TCP port free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server. `persistent`: an append-only file in its folder, so that what was written survives
 * a restart (the restart test); otherwise nothing is saved. `debugCommand`: `DEBUG` is allowed (to reload
 * the data set while clients stay connected).
 */
export async function startRedis(options: { persistent?: boolean; debugCommand?: boolean } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.persistent ? 'yes' : 'no',
    '--appendfsync',
    'always',
  ];
  if (options.debugCommand) args.push('--enable-debug-command', 'yes');
  let child: ChildProcess | undefined;
  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const process_ = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = process_;
      let log = '';
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          process_.stdout!.off('data', onData);
          process_.stdout!.resume();
          resolve();
        }
      };
      process_.stdout!.on('data', onData);
      process_.stderr!.resume();
      process_.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${log}`)));
      process_.once('error', reject);
    });
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
