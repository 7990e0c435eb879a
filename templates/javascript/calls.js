// Sandbox Executor: JavaScript proxy, calls: importing the user's module, calling its function, and the loop that serves calls.
// One part of the proxy: the parts are joined into one program, in the order of JAVASCRIPT_PROXY_PARTS
// (src/languages/javascript/index.ts).

// --- calling -----------------------------------------------------------------------------------------

let userModule;
let userFunctions;

/** What the generator found about the user's function `name` (`options` or `lines`), read when needed. */
function functionFact(kind, name) {
  if (userFunctions === undefined) {
    let parsed = null;
    try { parsed = JSON.parse(std.loadFile(FUNCTIONS_PATH) || "null"); } catch (ignored) {}
    userFunctions = parsed !== null && typeof parsed === "object" ? parsed : {};
  }
  const facts = userFunctions[kind];
  return facts && Object.prototype.hasOwnProperty.call(facts, name) ? facts[name] : undefined;
}

function invoke(payload) {
  const name = payload.functionName;
  const fn = Object.prototype.hasOwnProperty.call(userModule, name) ? userModule[name] : undefined;
  if (typeof fn !== "function") throw new ReferenceError("function '" + name + "' is not defined in the user's code");
  const args = Array.isArray(payload.args) ? payload.args.slice() : [];
  const kwargs = payload.kwargs || {};
  if (Object.keys(kwargs).length > 0) {
    // JavaScript has no keyword arguments: they travel as the trailing options object.
    const index = functionFact("options", name);
    if (index === undefined) throw new TypeError(name + "() does not take an options object, so it cannot receive keyword arguments");
    while (args.length < index) args.push(undefined);
    args.length = index;
    args.push(kwargs);
  }
  return fn(...args);
}

/**
 * The call in flight: `phase` is "running" until its promise settles, then "draining" until the callbacks
 * it scheduled have run. `finish` ends it with an outcome ({ok, text} or {ok: false, error}).
 */
let currentCall = null;
let idleCheckScheduled = false;

function afterTimerActivity() {
  if (currentCall !== null && pendingCallbacks.size === 0 && !idleCheckScheduled) {
    idleCheckScheduled = true;
    // As a macrotask: it runs once every microtask (promise reaction) queued so far has run.
    nativeSetTimeout(checkIdle, 0);
  }
}

function checkIdle() {
  idleCheckScheduled = false;
  const call = currentCall;
  if (call === null || pendingCallbacks.size > 0) return;
  if (call.phase === "draining") {
    call.finish(call.outcome);
  } else if (activeIntervals.size === 0) {
    // Nothing is left that could settle the promise: it never will.
    call.finish({
      ok: false,
      error: describeError(new UnsettledPromiseError(call.name + "() returned a promise that never settles: no timer or other pending work is left that could settle it")),
    });
  }
}

function uncaughtError(error) {
  // Like an uncaught exception in Node, an error thrown by a timer callback ends the call.
  if (currentCall !== null) currentCall.finish({ ok: false, error: describeError(error) });
}

/** Runs one call to its end; resolves with its outcome and whether the user's module could be loaded. */
function runCall(payload) {
  return new Promise((resolve) => {
    const call = {
      name: String(payload.functionName),
      phase: "running",
      outcome: undefined,
      moduleLoaded: true,
      finish(outcome) {
        if (currentCall !== call) return;
        currentCall = null;
        cancelAllTimers();
        resolve({ outcome, moduleLoaded: call.moduleLoaded });
      },
    };
    currentCall = call;
    const settled = (outcome) => {
      if (currentCall !== call || call.phase !== "running") return;
      call.phase = "draining";
      call.outcome = outcome;
      afterTimerActivity();
    };
    const returned = (value) => settled(encodeResult(value));
    const failed = (error) => settled({ ok: false, error: describeError(error) });
    const start = () => {
      let value;
      let thenable;
      try {
        value = invoke(payload);
        thenable = value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function";
      } catch (error) {
        failed(error);
        return;
      }
      if (thenable) {
        Promise.resolve(value).then(returned, failed);
        afterTimerActivity();
      } else {
        returned(value);
      }
    };
    if (userModule !== undefined) {
      start();
    } else {
      import(USER_CODE_PATH).then(
        (module) => {
          userModule = module;
          start();
        },
        (error) => {
          call.moduleLoaded = false;
          // Callbacks the module's top level scheduled do not run: the module is unusable.
          call.finish({ ok: false, error: describeError(error) });
        },
      );
    }
  });
}

async function serve() {
  for (;;) {
    const frame = readFrame();
    if (frame === null) return;
    callNumber = null;
    let payload;
    try {
      // Tags are objects whose first key starts with TAG_PREFIX: without one, no reviver is needed (it halves the speed).
      payload = frame.text.indexOf('{"' + TAG_PREFIX) >= 0 ? JSON.parse(frame.text, reviveWire) : JSON.parse(frame.text);
      callNumber = payload.call;
    } catch (error) {
      sendFrame({ ok: false, error: { type: "ProxyError", message: "bad call payload: " + safeString(() => error.message), traceback: "", line: 0 } });
      if (frame.mode !== SIP_PERSISTENT) return;
      continue;
    }
    const { outcome, moduleLoaded } = await runCall(payload);
    sendFrame(outcome);
    if (frame.mode !== SIP_PERSISTENT || !moduleLoaded) return;
  }
}

serve().then(
  () => {
    // Everything the call wrote is flushed and its result sent: skip the rest of the event loop.
    flushUserStreams();
    std.exit(0);
  },
  (error) => fatal("internal error: " + formatTraceback(error, [], 0)),
);
