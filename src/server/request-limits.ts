/**
 * What a request over HTTP may ask for: the accepted fields, the server's ceilings on the limits a client
 * chooses, and the server's policy for each folder requests may mount. A client can narrow any of them,
 * never widen them.
 */
import { InvalidRequestError } from '../errors.js';
import type { FileOperation } from '../fs/fs-types.js';
import type { MountRootMatcher } from '../fs/mount-roots.js';
import type { StartRequest } from '../types.js';
import { HttpError } from './http-error.js';

/** The server's ceilings, resolved. */
export interface RequestCeilings {
  maxTimeoutMs: number;
  maxMemoryLimitMb: number;
  maxOutputBytes: number;
  maxFsBytes: number;
}

/** The request fields accepted over HTTP (hooks and signals cannot travel as JSON). */
const ACCEPTED_FIELDS = new Set([
  'language',
  'code',
  'runtime',
  'functionName',
  'args',
  'kwargs',
  'timeoutMs',
  'stdin',
  'memoryLimitMb',
  'maxOutputBytes',
  'files',
  'mounts',
  'permissions',
  'sync',
  'returnFileContents',
  'deterministic',
  'validateArgs',
  // At most the executor's compileTimeoutMs (the executor refuses more): a client can only lower it.
  'compileTimeoutMs',
  'env',
  'argv',
  // 'call' or 'script'; without it, a request that names no function and gives no arguments is a script.
  'kind',
  // A template the operator defined (its packages and setup are the operator's).
  'template',
]);

/** Fields that only a call has: a request with one of them and no `kind` is a call. */
const CALL_FIELDS = ['functionName', 'args', 'kwargs', 'validateArgs'] as const;

/**
 * Takes the accepted fields of a JSON body and applies the server's limits. The request is a script
 * (`kind: 'script'`, run as `executor.run()` runs it) when it says so, or when it has no `kind` and names
 * no function and gives no arguments; otherwise a call. The time limit is lowered to the ceiling; memory, output and file limits above their ceiling are refused (400, naming the limit);
 * mounts must lie in an allowed root and get that root's operations at most (unless `mountsCheckedElsewhere`:
 * a queue's workers check them against their own roots).
 */
export async function checkRequest(
  body: unknown,
  ceilings: RequestCeilings,
  mountRoots: MountRootMatcher,
  mountsCheckedElsewhere = false,
): Promise<StartRequest> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('request', 'The body must be a JSON object.');
  const request: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'packages') {
      throw new HttpError(
        403,
        'PACKAGES_NOT_ALLOWED',
        'packages name folders of the server, which clients do not choose: use a template the operator defined (GET /templates lists them) with "template".',
      );
    }
    if (!ACCEPTED_FIELDS.has(key)) throw new InvalidRequestError(key, `Unknown field ${JSON.stringify(key)}.`);
    request[key] = value;
  }
  const timeoutMs = request.timeoutMs;
  if (timeoutMs === undefined || (typeof timeoutMs === 'number' && timeoutMs > ceilings.maxTimeoutMs)) request.timeoutMs = ceilings.maxTimeoutMs;
  atMost('memoryLimitMb', request.memoryLimitMb, ceilings.maxMemoryLimitMb, 'maxMemoryLimitMb');
  atMost('maxOutputBytes', request.maxOutputBytes, ceilings.maxOutputBytes, 'maxOutputBytes');
  atMost('files', filesBytes(request.files), ceilings.maxFsBytes, 'maxFsBytes');
  const sync = request.sync as { mode?: string } | undefined;
  if (sync && typeof sync === 'object' && sync.mode === 'manual') {
    throw new InvalidRequestError('sync.mode', "sync.mode 'manual' needs the result object in the same process; use 'auto', 'none' or dryRun over HTTP.");
  }
  // With a queue, mounts name the workers' folders: the queue and the workers check them.
  if (request.mounts !== undefined && !mountsCheckedElsewhere) await checkMounts(request.mounts, ceilings, mountRoots);
  request.kind = kindOf(request);
  return request as unknown as StartRequest;
}

/** Whether the request is a call or a script. @throws InvalidRequestError for a bad or contradicting `kind` */
function kindOf(request: Record<string, unknown>): 'call' | 'script' {
  const given = CALL_FIELDS.filter((field) => request[field] !== undefined);
  if (request.kind === undefined) return given.length > 0 ? 'call' : 'script';
  if (request.kind === 'call') return 'call';
  if (request.kind !== 'script') throw new InvalidRequestError('kind', `kind is 'call' or 'script', got ${JSON.stringify(request.kind)}.`);
  if (given.length > 0) throw new InvalidRequestError(given[0]!, `A script calls no function: leave out ${given.join(', ')}, or send kind 'call'.`);
  return 'script';
}

async function checkMounts(mounts: unknown, ceilings: RequestCeilings, mountRoots: MountRootMatcher): Promise<void> {
  if (mountRoots.roots.length === 0) throw new HttpError(403, 'MOUNT_NOT_ALLOWED', 'This server does not allow mounts.');
  if (!Array.isArray(mounts)) throw new InvalidRequestError('mounts', 'mounts must be an array.');
  for (const [index, mount] of (mounts as Record<string, unknown>[]).entries()) {
    const field = `mounts[${index}]`;
    if (mount === null || typeof mount !== 'object' || typeof mount.hostPath !== 'string')
      throw new InvalidRequestError(`${field}.hostPath`, 'hostPath must be a string.');
    const asked = Array.isArray(mount.allowedOperations) ? (mount.allowedOperations as FileOperation[]) : undefined;
    const allowed = await mountRoots.match(mount.hostPath, asked);
    if (!allowed) throw new HttpError(403, 'MOUNT_NOT_ALLOWED', `${field}.hostPath is not inside a folder this server allows.`);
    mount.hostPath = allowed.hostPath;
    mount.allowedOperations = allowed.operations;
    atMost(`${field}.maxTotalBytes`, mount.maxTotalBytes, ceilings.maxFsBytes, 'maxFsBytes');
    atMost(`${field}.maxFileBytes`, mount.maxFileBytes, ceilings.maxFsBytes, 'maxFsBytes');
    if (mount.maxTotalBytes === undefined) mount.maxTotalBytes = Math.min(DEFAULT_MOUNT_TOTAL_BYTES, ceilings.maxFsBytes);
  }
}

/** The library's default `maxTotalBytes` of a mount. */
const DEFAULT_MOUNT_TOTAL_BYTES = 128 * 1024 * 1024;

/** The total size of a request's `files` (0 when it has none or they are malformed: the library refuses those). */
export function filesBytes(files: unknown): number {
  if (files === null || typeof files !== 'object' || Array.isArray(files)) return 0;
  let bytes = 0;
  for (const content of Object.values(files))
    bytes += typeof content === 'string' ? Buffer.byteLength(content) : content instanceof Uint8Array ? content.byteLength : 0;
  return bytes;
}

/** @throws HttpError 400 when a numeric field is above the server's ceiling */
export function atMost(field: string, value: unknown, limit: number, option: string): void {
  if (typeof value === 'number' && value > limit) {
    throw new HttpError(400, 'OVER_SERVER_LIMIT', `${field} is ${value}, over this server's limit of ${limit} (${option}).`, {}, { field, limit });
  }
}
