/**
 * The one allocator of job ids. A worker's control messages name the job they are for, so every job of
 * the process (calls, tools, sessions, prestarted instances) gets its own id from here.
 */
let lastJobId = 0;

/** A job id never given before in this process. */
export function nextJobId(): number {
  return ++lastJobId;
}
