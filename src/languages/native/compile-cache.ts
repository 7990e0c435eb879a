/**
 * Caches build outputs (linked programs, the runtime object) by a hash of everything that goes into
 * them: in memory, per executor, and optionally on disk in the executor's `cacheDir`, so that a repeated
 * call never starts clang.
 *
 * Concurrent requests for the same key share one build, each caller waiting within its own deadline; the
 * build is stopped when no caller waits for it any more, and is then not cached. Disk entries are
 * written atomically (a temporary file in the same directory, then a rename) and carry a digest of their
 * content: a corrupt or unreadable entry is ignored and rebuilt. Failed builds that are the user's fault
 * (compile errors) are remembered in memory only; other failures are not remembered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SharedWork } from '../../runtime/shared-work.js';
import { ProgramBuildError } from '../language.js';

/** A build that failed for a reason that may not recur (a tool timed out): reported, never cached. */
export class TransientBuildError extends ProgramBuildError {}

/** What a cache holds for one key. */
export type BuildOutput = Uint8Array;

/** Counters of what the caches did, for tests and diagnostics. */
export interface BuildCacheStats {
  /** Builds started (each runs clang and/or wasm-ld). */
  builds: number;
  /** Requests answered from memory (including ones that joined a build in progress). */
  memoryHits: number;
  /** Requests answered from a disk entry. */
  diskHits: number;
}

const FILE_MAGIC = Buffer.from('SBXNATIVE1\n');
const DIGEST_BYTES = 32;

/** One caller of {@link BuildCache.get}: how long it waits, and who to tell when a real build starts. */
export interface BuildWaiter {
  /**
   * Stops this caller's wait (its `compileTimeoutMs`, its cancellation): `get` rejects with the signal's
   * reason. The build itself is stopped once every caller that waits for it has stopped waiting; a caller
   * without a signal waits for as long as the build takes.
   */
  signal?: AbortSignal;
  /** Called when the output is really being built (not found in memory or on disk), or when joining such a build. */
  onBuild?: () => void;
}

/** What the cache holds for one key: the shared work, and whether it has come to building. */
interface Entry {
  work: SharedWork<BuildOutput>;
  building: boolean;
  /** Waiters to tell when the build starts. */
  onBuild: (() => void)[];
}

/** A build cache: memory (bounded, most recently used kept) in front of an optional directory. */
export class BuildCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats: BuildCacheStats = { builds: 0, memoryHits: 0, diskHits: 0 };

  constructor(private readonly maxEntries = 64) {}

  /**
   * The output for `key`: from memory, else from `cacheDir`, else from `build()` (then stored in both).
   * Concurrent callers of the same key share one build, each waiting within its own `waiter.signal`.
   *
   * @param key a hex digest of every input of the build
   * @param name prefix of the disk entry's file name (what kind of output it is)
   * @param build builds the output; its signal aborts when no caller waits any more (stop the tools)
   */
  get(
    key: string,
    name: string,
    cacheDir: string | undefined,
    build: (signal: AbortSignal) => Promise<BuildOutput>,
    waiter: BuildWaiter = {},
  ): Promise<BuildOutput> {
    let entry = this.entries.get(key);
    if (entry && !entry.work.abandoned) {
      this.stats.memoryHits++;
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      const created: Entry = {
        building: false,
        onBuild: [],
        // A build nobody waits for any more is dropped at once: the next caller starts afresh.
        work: new SharedWork(
          (signal) => this.load(key, name, cacheDir, build, signal, created),
          () => {
            if (this.entries.get(key) === created) this.entries.delete(key);
          },
        ),
      };
      entry = created;
      this.entries.set(key, entry);
      while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      entry.work.done.catch((error: unknown) => {
        // A compile error is deterministic: keep it. Anything else (a tool that timed out, a build that
        // was stopped) may pass next time.
        const deterministic = error instanceof ProgramBuildError && !(error instanceof TransientBuildError);
        if (!deterministic && this.entries.get(key) === created) this.entries.delete(key);
      });
    }
    if (waiter.onBuild) {
      if (entry.building) waiter.onBuild();
      else if (!entry.work.isSettled) entry.onBuild.push(waiter.onBuild);
    }
    return entry.work.join(waiter.signal);
  }

  private async load(
    key: string,
    name: string,
    cacheDir: string | undefined,
    build: (signal: AbortSignal) => Promise<BuildOutput>,
    signal: AbortSignal,
    entry: Entry,
  ): Promise<BuildOutput> {
    const path = cacheDir === undefined ? undefined : join(cacheDir, `${name}-${key}.bin`);
    if (path) {
      const stored = await readEntry(path);
      if (stored) {
        this.stats.diskHits++;
        entry.onBuild = [];
        return stored;
      }
    }
    signal.throwIfAborted();
    this.stats.builds++;
    entry.building = true;
    for (const notify of entry.onBuild.splice(0)) notify();
    let output: BuildOutput;
    try {
      output = await build(signal);
    } finally {
      entry.building = false;
    }
    // A build that was stopped may still have produced something: never store it.
    signal.throwIfAborted();
    if (path && cacheDir) await writeEntry(cacheDir, path, output);
    return output;
  }
}

/** Hex SHA-256 of the given parts (each length-prefixed, so that boundaries count). */
export function cacheKey(parts: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(bytes.byteLength));
    hash.update(length).update(bytes);
  }
  return hash.digest('hex');
}

/** The content of a disk entry, or undefined when it is missing, unreadable or corrupt. */
async function readEntry(path: string): Promise<BuildOutput | undefined> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch {
    return undefined;
  }
  const header = FILE_MAGIC.length + DIGEST_BYTES;
  if (file.byteLength < header || !file.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) return undefined;
  const content = file.subarray(header);
  const digest = createHash('sha256').update(content).digest();
  if (!digest.equals(file.subarray(FILE_MAGIC.length, header))) return undefined;
  return new Uint8Array(content);
}

/** Writes a disk entry atomically. A cache that cannot be written is not an error: the build stands. */
async function writeEntry(dir: string, path: string, content: BuildOutput): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const digest = createHash('sha256').update(content).digest();
    await writeFile(temporary, Buffer.concat([FILE_MAGIC, digest, content]));
    await rename(temporary, path);
  } catch {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}
