/**
 * Where the command line keeps compiled programs between runs: a folder per user, so that a repeated
 * `sandbox-executor run x.c` does not start the compiler again (seconds saved per run).
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The per-user cache folder: `$XDG_CACHE_HOME/sandbox-executor` when that variable holds an absolute
 * path, `%LOCALAPPDATA%\sandbox-executor\Cache` on Windows, else `~/.cache/sandbox-executor`; undefined
 * when there is no home folder to put it in.
 */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  home: string = safeHomedir(),
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'sandbox-executor');
  if (platform === 'win32' && env.LOCALAPPDATA && isAbsolute(env.LOCALAPPDATA)) return join(env.LOCALAPPDATA, 'sandbox-executor', 'Cache');
  return home ? join(home, '.cache', 'sandbox-executor') : undefined;
}

function safeHomedir(): string {
  try {
    return homedir();
  } catch {
    return '';
  }
}
