/**
 * The one way globs are compiled (permission rules, mount include and exclude), so that a pattern means
 * the same everywhere.
 *
 * `posix: true` makes picomatch read `[!...]` as a negated class, as POSIX and every shell do; without
 * it, picomatch 4 reads the `!` as a literal member, and `file[!0-9].txt` would match `file1.txt`.
 * Dot files match: a sandbox path has no hidden files.
 */
import picomatch from 'picomatch';

const OPTIONS: picomatch.PicomatchOptions = { dot: true, posix: true };

/** A predicate that tells whether a `/`-separated path matches any of `patterns`. */
export function globMatcher(patterns: string | readonly string[]): (path: string) => boolean {
  return picomatch(typeof patterns === 'string' ? patterns : [...patterns], OPTIONS);
}
