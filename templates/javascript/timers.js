// Sandbox Executor: JavaScript proxy, timers (setTimeout, setInterval, queueMicrotask) and the event loop.
// One part of the proxy: the parts are joined into one program, in the order of JAVASCRIPT_PROXY_PARTS
// (src/languages/javascript/index.ts).

// --- timers ------------------------------------------------------------------------------------------
// A call lasts until its promise settles AND the one-shot callbacks it scheduled (setTimeout,
// setImmediate, nextTick) have run, as a Node process would wait for them. Intervals do not keep a call
// alive: they stop when it ends. Tracking the callbacks also tells when a promise can no longer settle:
// nothing is pending and no microtask is left.

const nativeSetTimeout = globalThis.setTimeout;
const nativeClearTimeout = globalThis.clearTimeout;
const nativeSetImmediate = globalThis.setImmediate;
const nativeNextTick = globalThis.nextTick;

/** id -> native handle (undefined when it cannot be cancelled natively) of one-shot callbacks not yet run. */
const pendingCallbacks = new Map();
/** id -> native handle of the next tick of each active interval. */
const activeIntervals = new Map();
let nextTimerId = 1;

function checkCallback(callback) {
  if (typeof callback !== "function") throw new TypeError("The callback must be a function. Received " + inspect(callback, 1, []));
}

/** Runs a timer's callback: an error it throws ends the call, and the proxy rechecks what is pending. */
function runCallback(callback, args) {
  try {
    callback(...args);
  } catch (error) {
    uncaughtError(error);
  } finally {
    afterTimerActivity();
  }
}

function runTracked(id, callback, args) {
  if (!pendingCallbacks.delete(id)) return;
  runCallback(callback, args);
}

function scheduleOnce(schedule, callback, args) {
  checkCallback(callback);
  const id = nextTimerId++;
  pendingCallbacks.set(id, schedule(() => runTracked(id, callback, args)));
  return id;
}

function clearTimer(id) {
  if (pendingCallbacks.has(id)) {
    const handle = pendingCallbacks.get(id);
    pendingCallbacks.delete(id);
    if (typeof handle === "number") nativeClearTimeout(handle);
    afterTimerActivity();
  } else if (activeIntervals.has(id)) {
    nativeClearTimeout(activeIntervals.get(id));
    activeIntervals.delete(id);
    afterTimerActivity();
  }
}

function delayOf(delay) {
  const ms = Number(delay);
  return ms > 0 ? ms : 0;
}

globalThis.setTimeout = function setTimeout(callback, delay, ...args) {
  return scheduleOnce((run) => nativeSetTimeout(run, delayOf(delay)), callback, args);
};
globalThis.setImmediate = function setImmediate(callback, ...args) {
  return scheduleOnce((run) => { nativeSetImmediate(run); return undefined; }, callback, args);
};
globalThis.nextTick = function nextTick(callback, ...args) {
  return scheduleOnce((run) => { nativeNextTick(run); return undefined; }, callback, args);
};
globalThis.setInterval = function setInterval(callback, delay, ...args) {
  checkCallback(callback);
  const id = nextTimerId++;
  const ms = Math.max(1, delayOf(delay));
  const tick = () => {
    if (!activeIntervals.has(id)) return;
    activeIntervals.set(id, nativeSetTimeout(tick, ms));
    runCallback(callback, args);
  };
  activeIntervals.set(id, nativeSetTimeout(tick, ms));
  return id;
};
globalThis.clearTimeout = clearTimer;
globalThis.clearInterval = clearTimer;
globalThis.clearImmediate = clearTimer;
if (typeof globalThis.queueMicrotask !== "function") {
  globalThis.queueMicrotask = function queueMicrotask(callback) {
    checkCallback(callback);
    Promise.resolve().then(() => {
      try {
        callback();
      } catch (error) {
        uncaughtError(error);
      }
    });
  };
}

function cancelAllTimers() {
  for (const handle of pendingCallbacks.values()) if (typeof handle === "number") nativeClearTimeout(handle);
  for (const handle of activeIntervals.values()) nativeClearTimeout(handle);
  pendingCallbacks.clear();
  activeIntervals.clear();
}
