// A data-transform script: mounts a folder of CSV files, lets a Python function summarize them, and syncs
// the summary it writes back to the folder. Only `summary/` may be written; the inputs stay read-only.
//
// Usage: node examples/data-transform/transform.mjs [folder]   (default: examples/data-transform/data)
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
  const executor = new SandboxExecutor({ poolSize: 1, prewarm: 0 });
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const folder = process.argv[2] ?? fileURLToPath(new URL('./data', import.meta.url));
  const result = await transform(folder);
  console.log(result.status, result.result);
  console.log('written:', result.files?.sync.written);
}
