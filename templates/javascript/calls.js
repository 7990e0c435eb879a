// Sandbox Executor: JavaScript proxy, calls: importing the user's module, calling its function, and the loop that serves calls.
// One part of the proxy: the parts are joined into one program, in the order of JAVASCRIPT_PROXY_PARTS
// (src/languages/javascript/index.ts).

// --- calling -----------------------------------------------------------------------------------------

let userModule;
let userFunctions;
// Whether a snippet has run: a context, whose functions are globals of its snippets.
let snippetsRun = false;
let processApplied = false;
// 1 once a script has ended with an uncaught error, as qjs's own status.
let exitStatus = 0;

/** What the generator wrote about the user's code (see FUNCTIONS_PATH), read when needed. */
function codeFacts() {
  if (userFunctions === undefined) {
    let parsed = null;
    try { parsed = JSON.parse(std.loadFile(FUNCTIONS_PATH) || "null"); } catch (ignored) {}
    userFunctions = parsed !== null && typeof parsed === "object" ? parsed : {};
  }
  return userFunctions;
}

/** What the generator found about the user's function `name` (`options` or `lines`). */
function functionFact(kind, name) {
  const facts = codeFacts()[kind];
  return facts && Object.prototype.hasOwnProperty.call(facts, name) ? facts[name] : undefined;
}

/** Gives the program the request's environment (in place of the proxy's own) and arguments, before any user code runs. */
function applyProcess(payload) {
  processApplied = true;
  if (Array.isArray(payload.env)) {
    // The runtime's own snapshot of its environment names what to remove (std.getenviron() of this
    // QuickJS build corrupts its heap, which fails an assertion when the interpreter exits).
    for (const name of Object.keys(globalThis.env || {})) std.unsetenv(name);
    const env = {};
    for (const [name, value] of payload.env) {
      std.setenv(String(name), String(value));
      env[name] = String(value);
    }
    // The runtime's own copy of the environment, taken at start-up: changed in place (the runtime holds
    // these objects, and replacing them makes it fail when it frees them at exit).
    refill(globalThis.env, env);
  }
  if (Array.isArray(payload.argv)) {
    const argv = [USER_CODE_PATH.slice(USER_CODE_PATH.lastIndexOf("/") + 1)].concat(payload.argv.map(String));
    globalThis.scriptArgs = argv;
    if (Array.isArray(globalThis.args)) globalThis.args.splice(0, globalThis.args.length, ...argv);
  }
}

function refill(target, source) {
  if (target === null || typeof target !== "object") return;
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, source);
}

/** Runs the user's file as a script: its completion value, or (a module) a promise of nothing. */
function runScript() {
  if (codeFacts().module === true) return import(USER_CODE_PATH).then(() => undefined);
  return std.loadScript(USER_CODE_PATH);
}

/** Runs a snippet as a global script of the context, from a file of its own: its completion value. */
function runSnippet(payload) {
  snippetsRun = true;
  const path = SNIPPET_PREFIX + Number(payload.snippet) + ".js";
  const file = std.open(path, "w");
  if (file === null) throw new Error("cannot write the snippet to " + path);
  file.puts(String(payload.code));
  file.close();
  return std.loadScript(path);
}

/** A script's value: what has no wire form (a function, a class instance with a cycle) is shown as the console shows it. */
function encodeRunValue(value) {
  const outcome = encodeResult(value === undefined ? null : value);
  if (outcome.ok || outcome.error.type !== "SerializationError") return outcome;
  return encodeResult(inspect(value, 0, []));
}

function invoke(payload) {
  if (payload.kind === "script") return runScript();
  if (payload.kind === "snippet") return runSnippet(payload);
  const name = payload.functionName;
  let fn = Object.prototype.hasOwnProperty.call(userModule, name) ? userModule[name] : undefined;
  // In a context, the functions are the snippets' globals.
  if (fn === undefined && snippetsRun && Object.prototype.hasOwnProperty.call(globalThis, name)) fn = globalThis[name];
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
      error: describeError(new UnsettledPromiseError(call.name + " returned a promise that never settles: no timer or other pending work is left that could settle it")),
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
      name: payload.kind ? "the " + payload.kind : String(payload.functionName) + "()",
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
    const returned = (value) => settled(payload.kind ? encodeRunValue(value) : encodeResult(value));
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
    // Scripts and snippets are not the user's module: they run without importing it.
    if (userModule !== undefined || payload.kind !== undefined) {
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
  // Modules the setup imports stay in the module cache: the user's imports of them cost nothing.
  const setup = std.open(SETUP_PATH, "r");
  if (setup !== null) {
    setup.close();
    await import(SETUP_PATH);
  }
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
    if (!processApplied) applyProcess(payload);
    const { outcome, moduleLoaded } = await runCall(payload);
    sendFrame(outcome);
    if (payload.kind === "script" && !outcome.ok) exitStatus = 1;
    if (frame.mode !== SIP_PERSISTENT || !moduleLoaded) return;
  }
}

serve().then(
  () => {
    // Everything the call wrote is flushed and its result sent: skip the rest of the event loop.
    flushUserStreams();
    std.exit(exitStatus);
  },
  (error) => fatal("internal error: " + formatTraceback(error, [], 0)),
);
