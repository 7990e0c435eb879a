/**
 * The code editor: CodeMirror 6 with the highlighting of the chosen language, and a marked line for the
 * error a run reports.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers, type DecorationSet } from '@codemirror/view';
import type { LanguageId } from './examples.js';

/**
 * Each language's grammar is a chunk of its own, loaded when the language is first chosen: the page starts
 * with the editor and one grammar, not all six (PHP's brings HTML, CSS and JavaScript along).
 */
async function highlighting(language: LanguageId): Promise<Extension> {
  switch (language) {
    case 'python':
      return (await import('@codemirror/lang-python')).python();
    case 'ruby': {
      const [{ StreamLanguage }, { ruby }] = await Promise.all([import('@codemirror/language'), import('@codemirror/legacy-modes/mode/ruby')]);
      return StreamLanguage.define(ruby);
    }
    case 'javascript':
      return (await import('@codemirror/lang-javascript')).javascript();
    case 'php':
      // The code may start with `<?php`, or be plain PHP without it: both run.
      return (await import('@codemirror/lang-php')).php({ plain: false });
    case 'c':
    case 'cpp':
      return (await import('@codemirror/lang-cpp')).cpp();
  }
}

/** Marks one line (1-based) as the error's, or clears the mark (null). */
const setErrorLine = StateEffect.define<number | null>();
const errorLineMark = Decoration.line({ class: 'cm-error-line', attributes: { 'aria-invalid': 'true' } });

const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, transaction) {
    // Editing the code makes the old error's line meaningless.
    if (transaction.docChanged) marks = Decoration.none;
    for (const effect of transaction.effects) {
      if (!effect.is(setErrorLine)) continue;
      const line = effect.value;
      marks =
        line === null || line < 1 || line > transaction.state.doc.lines
          ? Decoration.none
          : Decoration.set([errorLineMark.range(transaction.state.doc.line(line).from)]);
    }
    return marks;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * The editor lives in a shadow root: CodeMirror then gives its styles to the shadow root as constructed
 * style sheets instead of a `<style>` element, which the page's Content-Security-Policy (`style-src
 * 'self'`, nothing inline) would block. Its looks are therefore set here, not in style.css.
 */
const editorTheme = EditorView.theme({
  '&': { height: '100%', backgroundColor: '#fff' },
  '.cm-scroller': { overflow: 'auto', fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace", fontSize: '13px' },
  '&.cm-focused': { outline: '2px solid #1f5fbf', outlineOffset: '-2px' },
  '.cm-gutters': { backgroundColor: '#f4f4f2', borderRight: '1px solid #d9dbde', color: '#6b7075' },
  '.cm-error-line': { backgroundColor: '#fde7e5 !important', boxShadow: 'inset 3px 0 0 #b3261e' },
});

export class CodeEditor {
  private readonly view: EditorView;
  private readonly language = new Compartment();
  private wanted: LanguageId | undefined;

  constructor(host: HTMLElement, code: string, language: LanguageId, onChange: (code: string) => void) {
    const root = host.attachShadow({ mode: 'open' });
    this.view = new EditorView({
      parent: root,
      root,
      state: EditorState.create({
        doc: code,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          this.language.of([]),
          errorLine,
          editorTheme,
          EditorView.contentAttributes.of({ 'aria-label': 'Code', 'aria-multiline': 'true' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange(update.state.doc.toString());
          }),
        ],
      }),
    });
    this.setLanguage(language);
  }

  get code(): string {
    return this.view.state.doc.toString();
  }

  set code(text: string) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  /** Switches the highlighting (once the language's grammar has loaded, unless another was chosen since). */
  setLanguage(language: LanguageId): void {
    this.wanted = language;
    void highlighting(language).then((extension) => {
      if (this.wanted !== language) return;
      this.view.dispatch({ effects: this.language.reconfigure(extension) });
      this.view.dom.dataset.language = language;
    });
  }

  /** Marks the line of an error and scrolls to it; null clears the mark. */
  markErrorLine(line: number | null): void {
    const effects: StateEffect<unknown>[] = [setErrorLine.of(line)];
    if (line !== null && line >= 1 && line <= this.view.state.doc.lines)
      effects.push(EditorView.scrollIntoView(this.view.state.doc.line(line).from, { y: 'center' }));
    this.view.dispatch({ effects });
  }

  focus(): void {
    this.view.focus();
  }
}
