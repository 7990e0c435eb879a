// A data-transform script: mounts a folder of CSV files, lets a Python function summarize them, and syncs
// the summary it writes back to the folder. Only `summary/` may be written; the inputs stay read-only.
//
// Usage: node examples/data-transform/transform.mjs [folder]
// Without a folder, it works on a temporary copy of the sample data next to this file (data/), so that
// running the example leaves this folder as it was.
import { cp, mkdtemp } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxExecutor } from 'sandbox-executor';

const SUMMARIZE = `
import csv, json, os

def summarize():
    totals = {}
    for name in sorted(os.listdir("input")):
        if not name.endswith(".csv"):
            continue
        with open(os.path.join("input", name), newline="") as f:
            for row in csv.DictReader(f):
                totals[row["region"]] = totals.get(row["region"], 0) + float(row["amount"])
    os.makedirs("summary", exist_ok=True)
    with open("summary/totals.json", "w") as f:
        json.dump(totals, f, indent=2, sort_keys=True)
    return totals
`;

/** Runs the transform on `folder`; resolves with the result (the totals, and what was written). */
export async function transform(folder) {
  const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
  try {
    return await executor.invoke({
      language: 'python',
      code: SUMMARIZE,
      mounts: [{ hostPath: folder, include: ['input/**', 'summary/**'] }],
      permissions: { rules: [{ pattern: 'summary/**', allow: ['create', 'modify'] }] },
      sync: { mode: 'auto', onDenied: 'rollback' },
    });
  } finally {
    await executor.close();
  }
}

/** Whether node was started with this file, whatever the path looked like (relative, a link, spaces…). */
function startedDirectly() {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (startedDirectly()) {
  let folder = process.argv[2];
  if (folder === undefined) {
    folder = await mkdtemp(join(tmpdir(), 'data-transform-'));
    await cp(fileURLToPath(new URL('./data', import.meta.url)), folder, { recursive: true });
  }
  const result = await transform(folder);
  console.log('folder:', folder);
  console.log(result.status, result.result);
  console.log('written:', result.files?.sync.written);
}
