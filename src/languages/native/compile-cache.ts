/**
 * Caches build outputs (linked programs, the runtime object) by a hash of everything that goes into
 * them: in memory, per executor, and optionally on disk in the executor's `cacheDir`, so that a repeated
 * call never starts clang.
 *
 * Concurrent requests for the same key share one build (the promise is cached). Disk entries are
 * written atomically (a temporary file in the same directory, then a rename) and carry a digest of their
 * content: a corrupt or unreadable entry is ignored and rebuilt. Failed builds that are the user's fault
 * (compile errors) are remembered in memory only; other failures are not remembered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** A build cache: memory (bounded, most recently used kept) in front of an optional directory. */
export class BuildCache {
  private readonly entries = new Map<string, Promise<BuildOutput>>();
  readonly stats: BuildCacheStats = { builds: 0, memoryHits: 0, diskHits: 0 };

  constructor(private readonly maxEntries = 64) {}

  /**
   * The output for `key`: from memory, else from `cacheDir`, else from `build()` (then stored in both).
   *
   * @param key a hex digest of every input of the build
   * @param name prefix of the disk entry's file name (what kind of output it is)
   */
  get(key: string, name: string, cacheDir: string | undefined, build: () => Promise<BuildOutput>): Promise<BuildOutput> {
    const known = this.entries.get(key);
    if (known) {
      this.stats.memoryHits++;
      this.entries.delete(key);
      this.entries.set(key, known);
      return known;
    }
    const pending = this.load(key, name, cacheDir, build);
    this.entries.set(key, pending);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    pending.catch((error: unknown) => {
      // A compile error is deterministic: keep it. Anything else (a tool that timed out) may pass next time.
      const deterministic = error instanceof ProgramBuildError && !(error instanceof TransientBuildError);
      if (!deterministic && this.entries.get(key) === pending) this.entries.delete(key);
    });
    return pending;
  }

  private async load(key: string, name: string, cacheDir: string | undefined, build: () => Promise<BuildOutput>): Promise<BuildOutput> {
    const path = cacheDir === undefined ? undefined : join(cacheDir, `${name}-${key}.bin`);
    if (path) {
      const stored = await readEntry(path);
      if (stored) {
        this.stats.diskHits++;
        return stored;
      }
    }
    this.stats.builds++;
    const output = await build();
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
