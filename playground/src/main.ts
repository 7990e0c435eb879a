/**
 * The playground page: edit code, run it in the server's sandbox as a script or call one of its functions,
 * and watch it run. Wires the parts together; each part is a module of its own.
 */
import './style.css';
import { api, ApiError, storeToken, UnauthorizedError } from './api.js';
import { ArgumentForm, type FunctionInfo } from './argument-form.js';
import { CodeEditor } from './editor.js';
import { isExample, languageInfo, LANGUAGES, type Mode } from './examples.js';
import { ChangeReport, InputFiles } from './files-panel.js';
import { EventStreamTransport, WebSocketTransport, type RunControl, type RunRequest, type RunResult, type Transport } from './transport.js';
import { readState, writeState, type PageState } from './url-state.js';

const DESCRIBE_DELAY_MS = 400;
const STATE_DELAY_MS = 300;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

const ui = {
  language: element<HTMLSelectElement>('language'),
  templateField: element<HTMLElement>('template-field'),
  template: element<HTMLSelectElement>('template'),
  modes: [...document.querySelectorAll<HTMLInputElement>('input[name="mode"]')],
  example: element<HTMLButtonElement>('example'),
  run: element<HTMLButtonElement>('run'),
  stop: element<HTMLButtonElement>('stop'),
  share: element<HTMLButtonElement>('share'),
  call: element<HTMLElement>('call'),
  functionSelect: element<HTMLSelectElement>('function'),
  describeNote: element<HTMLElement>('describe-note'),
  status: element<HTMLElement>('status'),
  transport: element<HTMLElement>('transport'),
  phases: element<HTMLOListElement>('phases'),
  output: element<HTMLPreElement>('output'),
  stdinForm: element<HTMLFormElement>('stdin-form'),
  stdin: element<HTMLInputElement>('stdin'),
  stdinEnd: element<HTMLButtonElement>('stdin-end'),
  error: element<HTMLElement>('error'),
  result: element<HTMLPreElement>('result'),
  usage: element<HTMLDListElement>('usage'),
  tokenDialog: element<HTMLDialogElement>('token-dialog'),
  tokenForm: element<HTMLFormElement>('token-form'),
  token: element<HTMLInputElement>('token'),
  tokenError: element<HTMLElement>('token-error'),
};

// ------------------------------------------------------------------------------------------------ state

const initial = readState(location.hash);
const state: PageState = {
  language: languageInfo(initial.language ?? 'python').id,
  mode: initial.mode ?? 'script',
  code: '',
  functionName: initial.functionName,
  args: initial.args ?? {},
  files: initial.files ?? {},
};
state.code = initial.code ?? languageInfo(state.language).examples[state.mode];

let stateTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(): void {
  clearTimeout(stateTimer);
  stateTimer = setTimeout(() => history.replaceState(null, '', writeState(state)), STATE_DELAY_MS);
}

for (const language of LANGUAGES) ui.language.add(new Option(language.label, language.id));
ui.language.value = state.language;
for (const radio of ui.modes) radio.checked = radio.value === state.mode;

const editor = new CodeEditor(element('editor'), state.code, state.language, (code) => {
  state.code = code;
  saveState();
  if (state.mode === 'function') scheduleDescribe();
});
const argumentForm = new ArgumentForm(element('arguments'), (texts) => {
  state.args = texts;
  saveState();
});
const inputFiles = new InputFiles(element('input-file-list'), element('input-files-count'), (files) => {
  state.files = files;
  saveState();
});
inputFiles.set(state.files ?? {});
if (Object.keys(state.files ?? {}).length > 0) element<HTMLDetailsElement>('input-files').open = true;
const changeReport = new ChangeReport(element('changes'), element('change-list'), element('file-view'));
element('add-file').addEventListener('click', () => inputFiles.add());

// ---------------------------------------------------------------------------------- language and mode

function setCode(code: string): void {
  editor.code = code;
  state.code = code;
}

/** The templates the server's operator defined (`GET /templates`); the page offers those of the language. */
let templates: { name: string; language: string }[] = [];

function showTemplates(): void {
  const offered = templates.filter((template) => template.language === state.language);
  const chosen = ui.template.value;
  ui.template.replaceChildren(new Option('none', ''), ...offered.map((template) => new Option(template.name, template.name)));
  ui.template.value = offered.some((template) => template.name === chosen) ? chosen : '';
  ui.templateField.hidden = offered.length === 0;
}

async function loadTemplates(): Promise<void> {
  try {
    templates = (await api<{ templates: { name: string; language: string }[] }>('/templates')).templates;
  } catch {
    // A server without templates (or one that refuses) offers none.
    templates = [];
  }
  showTemplates();
}

ui.language.addEventListener('change', () => {
  const replace = isExample(state.code);
  state.language = languageInfo(ui.language.value).id;
  showTemplates();
  editor.setLanguage(state.language);
  if (replace) setCode(languageInfo(state.language).examples[state.mode]);
  editor.markErrorLine(null);
  saveState();
  if (state.mode === 'function') scheduleDescribe(0);
});

for (const radio of ui.modes) {
  radio.addEventListener('change', () => {
    if (!radio.checked) return;
    const replace = isExample(state.code);
    state.mode = radio.value as Mode;
    if (replace) setCode(languageInfo(state.language).examples[state.mode]);
    showMode();
    saveState();
  });
}

ui.example.addEventListener('click', () => {
  setCode(languageInfo(state.language).examples[state.mode]);
  saveState();
  editor.focus();
});

function showMode(): void {
  ui.call.hidden = state.mode !== 'function';
  if (state.mode === 'function') scheduleDescribe(0);
}

// --------------------------------------------------------------------------- describe and argument form

let describeTimer: ReturnType<typeof setTimeout> | undefined;
let describing: Promise<void> | undefined;
let describeAbort: AbortController | undefined;
let functions: FunctionInfo[] = [];
/** Whether the function list was read from the current code. */
let describedCode: string | undefined;

function scheduleDescribe(delay = DESCRIBE_DELAY_MS): void {
  clearTimeout(describeTimer);
  describeTimer = setTimeout(() => void describeNow(), delay);
}

/** Reads the functions of the code from the server (`POST /describe`) and renders the form. */
function describeNow(): Promise<void> {
  clearTimeout(describeTimer);
  describeAbort?.abort();
  const controller = new AbortController();
  describeAbort = controller;
  const code = state.code;
  const language = state.language;
  ui.describeNote.textContent = 'Reading the functions…';
  describing = api<{ functions: FunctionInfo[]; note?: string }>('/describe', { language, code }, controller.signal).then(
    (answer) => {
      if (controller.signal.aborted) return;
      describedCode = `${language}\n${code}`;
      functions = answer.functions;
      const keep = ui.functionSelect.value || state.functionName;
      ui.functionSelect.replaceChildren(...functions.map((fn) => new Option(`${fn.name}(${fn.parameters.map((p) => p.name).join(', ')})`, fn.name)));
      const chosen = functions.find((fn) => fn.name === keep) ?? functions[0];
      if (chosen) ui.functionSelect.value = chosen.name;
      state.functionName = chosen?.name;
      ui.describeNote.textContent = functions.length === 0 ? (answer.note ?? 'No function to call in this code.') : (chosen?.doc ?? '');
      argumentForm.render(chosen, state.args ?? {});
    },
    (error: unknown) => {
      if (controller.signal.aborted) return;
      if (error instanceof UnauthorizedError) {
        accessGranted = false;
        askForToken();
      }
      describedCode = undefined;
      functions = [];
      ui.functionSelect.replaceChildren();
      argumentForm.render(undefined, {});
      ui.describeNote.textContent = (error as Error).message;
    },
  );
  return describing;
}

ui.functionSelect.addEventListener('change', () => {
  state.functionName = ui.functionSelect.value;
  argumentForm.render(
    functions.find((fn) => fn.name === state.functionName),
    {},
  );
  state.args = argumentForm.texts();
  saveState();
});

// ------------------------------------------------------------------------------------------ token

/** Set once the server has answered the API: a page without the right token asks again at every run. */
let accessGranted = false;

/** Whether the server answers the API (asks for a token when it needs one it does not have). */
async function checkAccess(): Promise<boolean> {
  if (accessGranted) return true;
  try {
    await api('/health');
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      askForToken();
      return false;
    }
    // Anything else (the server is down) shows when the run fails.
  }
  accessGranted = true;
  void loadTemplates();
  return true;
}

function askForToken(wrong = false): void {
  ui.tokenError.hidden = !wrong;
  ui.tokenError.textContent = wrong ? 'The server did not accept this token.' : '';
  if (!ui.tokenDialog.open) ui.tokenDialog.showModal();
  ui.token.focus();
}

ui.tokenDialog.addEventListener('cancel', (event) => event.preventDefault());
ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  storeToken(ui.token.value.trim() || undefined);
  webSocket.reset();
  accessGranted = false;
  // A server whose WebSocket refused the old token may take the new one.
  transport = forced === 'sse' ? eventStream : undefined;
  void api('/health').then(
    () => {
      accessGranted = true;
      void loadTemplates();
      ui.tokenDialog.close();
      ui.token.value = '';
      if (state.mode === 'function') scheduleDescribe(0);
    },
    (error: unknown) => {
      if (error instanceof UnauthorizedError) askForToken(true);
      else ui.tokenDialog.close();
    },
  );
});

// ------------------------------------------------------------------------------------------ transport

const webSocket = new WebSocketTransport();
const eventStream = new EventStreamTransport();
const forced = new URLSearchParams(location.search).get('transport');
let transport: Transport | undefined = forced === 'sse' ? eventStream : undefined;

/** The WebSocket when the server has it, else Server-Sent Events. */
async function chooseTransport(): Promise<Transport> {
  if (transport) return transport;
  try {
    await webSocket.connect();
    transport = webSocket;
  } catch {
    transport = eventStream;
  }
  ui.transport.textContent = `via ${transport.name}`;
  return transport;
}

// ------------------------------------------------------------------------------------------ running

let running: RunControl | undefined;

function setStatus(status: string, text = status): void {
  ui.status.dataset.status = status;
  ui.status.textContent = text;
}

function resetPanes(): void {
  ui.output.replaceChildren();
  ui.phases.replaceChildren();
  ui.error.hidden = true;
  ui.error.replaceChildren();
  ui.result.textContent = '';
  ui.usage.replaceChildren();
  changeReport.clear();
  editor.markErrorLine(null);
}

function appendOutput(stream: 'stdout' | 'stderr' | 'stdin', text: string): void {
  const atBottom = ui.output.scrollTop + ui.output.clientHeight >= ui.output.scrollHeight - 4;
  const last = ui.output.lastElementChild as HTMLElement | null;
  if (last && last.dataset.stream === stream) last.append(text);
  else {
    const span = document.createElement('span');
    span.className = stream;
    span.dataset.stream = stream;
    span.textContent = text;
    ui.output.append(span);
  }
  if (atBottom) ui.output.scrollTop = ui.output.scrollHeight;
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function showPhase(phase: string, phaseState: string, elapsedMs: number | undefined, phaseMs: number | undefined): void {
  let item = ui.phases.querySelector<HTMLLIElement>(`li[data-phase="${CSS.escape(phase)}"]`);
  if (!item) {
    item = document.createElement('li');
    item.dataset.phase = phase;
    item.dataset.startedAt = String(elapsedMs ?? 0);
    ui.phases.append(item);
  }
  item.dataset.state = phaseState;
  const label = phase.replace(/-/g, ' ');
  if (phaseState === 'end') {
    const duration = phaseMs ?? (elapsedMs !== undefined ? elapsedMs - Number(item.dataset.startedAt) : undefined);
    item.textContent = `${label} ${formatMs(duration)}`;
  } else item.textContent = `${label}…`;
  if (phase === 'running' && phaseState === 'start') setStatus('running');
}

function showUsage(result: RunResult): void {
  const rows: [string, string][] = [];
  if (result.exitCode !== undefined && result.exitCode !== null) rows.push(['Exit code', String(result.exitCode)]);
  const usage = result.usage ?? {};
  const number = (key: string): number | undefined => (typeof usage[key] === 'number' ? (usage[key] as number) : undefined);
  if (number('wallMs') !== undefined) rows.push(['Wall time', formatMs(number('wallMs'))]);
  if (number('peakMemoryBytes') !== undefined) rows.push(['Peak memory', `${((number('peakMemoryBytes') ?? 0) / 1024 / 1024).toFixed(1)} MiB`]);
  if (number('stdoutBytes') !== undefined) rows.push(['Output', `${number('stdoutBytes')} B stdout, ${number('stderrBytes') ?? 0} B stderr`]);
  if (number('filesWritten')) rows.push(['Files written', `${number('filesWritten')} (${number('bytesWritten') ?? 0} B)`]);
  ui.usage.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
}

function showResult(result: RunResult): void {
  setStatus(result.status);
  if ('result' in result && result.result !== undefined) ui.result.textContent = JSON.stringify(result.result, null, 2);
  else ui.result.textContent = result.status === 'success' ? '(no value)' : '';
  const error = result.error;
  if (error && result.status !== 'success') {
    const title = document.createElement('strong');
    title.textContent = `${error.type ?? 'Error'}: ${error.message ?? ''}`;
    ui.error.append(title);
    if (error.line) {
      const where = document.createElement('span');
      where.className = 'error-line';
      where.textContent = ` (line ${error.line})`;
      ui.error.append(where);
      editor.markErrorLine(error.line);
    }
    if (error.traceback?.trim()) {
      const trace = document.createElement('pre');
      trace.textContent = error.traceback.trimEnd();
      ui.error.append(trace);
    }
    ui.error.hidden = false;
  }
  showUsage(result);
  changeReport.show(result.files ?? null);
}

function endRun(): void {
  running = undefined;
  ui.run.disabled = false;
  ui.stop.disabled = true;
  ui.stdinForm.hidden = true;
}

async function run(): Promise<void> {
  if (running || ui.tokenDialog.open) return;
  ui.run.disabled = true;
  try {
    if (!(await checkAccess())) {
      ui.run.disabled = false;
      return;
    }
    const request: RunRequest = { language: state.language, code: state.code, files: inputFiles.files(), returnFileContents: true };
    if (Object.keys(request.files ?? {}).length === 0) delete request.files;
    if (ui.template.value) request.template = ui.template.value;
    if (state.mode === 'function') {
      if (describedCode !== `${state.language}\n${state.code}`) await describeNow();
      if (!state.functionName) {
        setStatus('invalid', 'no function to call');
        ui.run.disabled = false;
        return;
      }
      const values = argumentForm.values();
      if (!values.ok) {
        setStatus('invalid', 'check the arguments');
        ui.run.disabled = false;
        return;
      }
      Object.assign(request, { functionName: state.functionName, args: values.args, kwargs: values.kwargs });
    }
    resetPanes();
    setStatus('starting', 'starting…');
    const chosen = await chooseTransport();
    ui.stop.disabled = false;
    running = chosen.start(request, {
      output: (stream, data) => {
        if (ui.status.dataset.status === 'starting') setStatus('running');
        appendOutput(stream, data);
      },
      phase: showPhase,
      complete: (result) => {
        endRun();
        showResult(result);
      },
      failed: (message, unauthorized) => {
        endRun();
        setStatus('failed');
        ui.error.textContent = message;
        ui.error.hidden = false;
        if (unauthorized) {
          accessGranted = false;
          webSocket.reset();
          askForToken();
        }
      },
    });
    // A call gets no input while it runs: its input ends at once (a C call would otherwise wait for the
    // end of an input nobody writes). A script's stays open for the input box.
    if (state.mode === 'function') running.end();
    else if (running.interactive) {
      ui.stdinForm.hidden = false;
      ui.stdin.value = '';
    }
  } catch (error) {
    endRun();
    setStatus('failed');
    ui.error.textContent = error instanceof ApiError ? `${error.code}: ${error.message}` : (error as Error).message;
    ui.error.hidden = false;
  }
}

function stop(): void {
  running?.cancel();
}

ui.run.addEventListener('click', () => void run());
ui.stop.addEventListener('click', stop);
ui.stdinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!running) return;
  const line = `${ui.stdin.value}\n`;
  running.write(line);
  appendOutput('stdin', line);
  ui.stdin.value = '';
});
ui.stdinEnd.addEventListener('click', () => {
  running?.end();
  ui.stdinForm.hidden = true;
});

// Before the editor sees them: Ctrl/Cmd+Enter runs, Escape stops.
window.addEventListener(
  'keydown',
  (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.stopPropagation();
      void run();
    } else if (event.key === 'Escape' && running && !ui.tokenDialog.open) {
      event.preventDefault();
      stop();
    }
  },
  { capture: true },
);

ui.share.addEventListener('click', () => {
  history.replaceState(null, '', writeState(state));
  const done = (text: string): void => {
    ui.share.textContent = text;
    setTimeout(() => (ui.share.textContent = 'Share'), 1500);
  };
  if (!navigator.clipboard) return done('Copy the address bar');
  navigator.clipboard.writeText(location.href).then(
    () => done('Link copied'),
    () => done('Copy the address bar'),
  );
});

window.addEventListener('hashchange', () => {
  const next = readState(location.hash);
  if (next.code !== undefined && next.code !== state.code) setCode(next.code);
  if (next.language && next.language !== state.language) {
    state.language = languageInfo(next.language).id;
    ui.language.value = state.language;
    editor.setLanguage(state.language);
  }
  if (next.mode && next.mode !== state.mode) {
    state.mode = next.mode;
    for (const radio of ui.modes) radio.checked = radio.value === state.mode;
  }
  showMode();
});

showMode();
void checkAccess();
if (forced === 'sse') ui.transport.textContent = `via ${eventStream.name}`;
document.documentElement.dataset.ready = 'true';
