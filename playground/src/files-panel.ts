/**
 * Files: those given to the code (small text files, edited in the page), and after a run the change report
 * (created, modified, deleted) with the new contents viewable and downloadable.
 */
import type { FileChangeJson, RunResult } from './transport.js';

export class InputFiles {
  constructor(
    private readonly list: HTMLUListElement,
    private readonly count: HTMLElement,
    private readonly onEdit: (files: Record<string, string>) => void,
  ) {}

  /** Replaces the rows with `files`. */
  set(files: Record<string, string>): void {
    this.list.replaceChildren();
    for (const [path, content] of Object.entries(files)) this.add(path, content, false);
    this.updateCount();
  }

  /** Adds a row (and focuses its name when the user asked for it). */
  add(path = '', content = '', focus = true): void {
    const index = this.list.children.length + 1;
    const item = document.createElement('li');
    const name = document.createElement('input');
    name.className = 'file-name';
    name.value = path || (focus ? `file${index}.txt` : '');
    name.setAttribute('aria-label', `Name of file ${index}`);
    name.spellcheck = false;
    const text = document.createElement('textarea');
    text.className = 'file-content';
    text.value = content;
    text.rows = 3;
    text.setAttribute('aria-label', `Content of file ${index}`);
    text.spellcheck = false;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', `Remove file ${index}`);
    remove.addEventListener('click', () => {
      item.remove();
      this.changed();
    });
    name.addEventListener('input', () => this.changed());
    text.addEventListener('input', () => this.changed());
    item.append(name, remove, text);
    this.list.append(item);
    if (focus) {
      name.focus();
      name.select();
      this.changed();
    }
  }

  /** The files by path (rows without a name are left out). */
  files(): Record<string, string> {
    const files: Record<string, string> = {};
    for (const item of this.list.children) {
      const path = item.querySelector<HTMLInputElement>('.file-name')?.value.trim();
      if (path) files[path] = item.querySelector<HTMLTextAreaElement>('.file-content')?.value ?? '';
    }
    return files;
  }

  private changed(): void {
    this.updateCount();
    this.onEdit(this.files());
  }

  private updateCount(): void {
    const n = Object.keys(this.files()).length;
    this.count.textContent = n === 0 ? '' : `(${n})`;
  }
}

/** Bytes of a wire value `{"$bytes": base64}` (or of a plain string). */
function bytesOf(content: unknown): Uint8Array | undefined {
  if (typeof content === 'string') return new TextEncoder().encode(content);
  const base64 = (content as { $bytes?: unknown } | null)?.$bytes;
  if (typeof base64 !== 'string') return undefined;
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export class ChangeReport {
  private urls: string[] = [];

  constructor(
    private readonly section: HTMLElement,
    private readonly list: HTMLUListElement,
    private readonly view: HTMLPreElement,
  ) {}

  clear(): void {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
    this.list.replaceChildren();
    this.view.hidden = true;
    this.view.textContent = '';
    this.section.hidden = true;
  }

  show(files: RunResult['files']): void {
    this.clear();
    const changes: FileChangeJson[] = files ? [...files.created, ...files.modified, ...files.deleted] : [];
    if (changes.length === 0) return;
    for (const change of changes) this.list.append(this.row(change));
    this.section.hidden = false;
  }

  private row(change: FileChangeJson): HTMLLIElement {
    const item = document.createElement('li');
    item.dataset.change = change.change;
    item.dataset.path = change.virtualPath;
    const badge = document.createElement('span');
    badge.className = `badge ${change.change}`;
    badge.textContent = change.change;
    const path = document.createElement('code');
    path.textContent = change.virtualPath + (change.kind === 'dir' ? '/' : '');
    item.append(badge, ' ', path);
    if (change.size !== undefined) item.append(` ${change.size} B`);
    const bytes = change.change === 'deleted' ? undefined : bytesOf(change.content);
    if (bytes) {
      const name = change.virtualPath.split('/').pop() || 'file';
      const viewButton = document.createElement('button');
      viewButton.type = 'button';
      viewButton.textContent = 'View';
      viewButton.setAttribute('aria-label', `View ${change.virtualPath}`);
      viewButton.addEventListener('click', () => {
        this.view.textContent = new TextDecoder().decode(bytes);
        this.view.dataset.path = change.virtualPath;
        this.view.setAttribute('aria-label', `Content of ${change.virtualPath}`);
        this.view.hidden = false;
        this.view.focus();
      });
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
      this.urls.push(url);
      const download = document.createElement('a');
      download.href = url;
      download.download = name;
      download.textContent = 'Download';
      download.setAttribute('aria-label', `Download ${change.virtualPath}`);
      item.append(' ', viewButton, ' ', download);
    }
    return item;
  }
}
