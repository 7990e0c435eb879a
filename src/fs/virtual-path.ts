/**
 * Paths inside the sandbox and names written to the host.
 */

/** Whether a normalized absolute path is, or is inside, `root`. */
export function isWithin(path: string, root: string): boolean {
  return root === '/' ? path.startsWith('/') : path === root || path.startsWith(`${root}/`);
}

/**
 * Whether a path component may be written to the host: no NUL, no separators, not `.`/`..`. Names come
 * from the sandbox, where user code chooses them.
 */
export function isSafeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('\0') && !name.includes('/') && !name.includes('\\');
}

/** The folders above a sandbox path, innermost first (`/a/b/c` → `/a/b`, `/a`). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let at = path.lastIndexOf('/'); at > 0; at = path.lastIndexOf('/', at - 1)) out.push(path.slice(0, at));
  return out;
}
