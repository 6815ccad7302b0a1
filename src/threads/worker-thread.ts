/**
 * Starting a worker thread from one of this project's modules, whether it runs as compiled
 * JavaScript or under ts-node (npm start, npm run audit, the tests). Under ts-node a worker
 * would load the TypeScript compiler before its first message (about 0.35 s of CPU each); the
 * parent's ts-node compiles the worker's modules instead, and the worker runs that JavaScript:
 * a bootstrap serves its `.ts` requires from the compiled sources, then loads the module.
 *
 * A worker module runs its thread body only when `workerData.role` names it, so the parent can
 * load it too (which is how its modules are found).
 */
import fs from "node:fs";
import { Worker } from "node:worker_threads";

const TS_BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
const Module = require("node:module");
const compiled = workerData.compiled;
Module._extensions[".ts"] = (module, filename) => {
  if (!(filename in compiled)) throw new Error("worker thread: " + filename + " was not compiled by the parent");
  module._compile(compiled[filename], filename);
};
require(workerData.entry);
`;

/** Starts `file` (absolute path, .ts or .js) as a worker thread with `workerData`. */
export function startWorkerThread(file: string, workerData: { role: string } & Record<string, unknown>): Worker {
  if (!file.endsWith(".ts")) return new Worker(file, { workerData });
  // Not the parent's execArgv: its `-r ts-node/register` would load the compiler. Only its CPU
  // profiling flags (`npm run bench -- --profile`), so that a profile covers every thread.
  const execArgv = process.execArgv.filter((arg) => arg.startsWith("--cpu-prof"));
  return new Worker(TS_BOOTSTRAP, { eval: true, execArgv, workerData: { ...workerData, compiled: compiledModules(file), entry: file } });
}

const compiledCache = new Map<string, Record<string, string>>();

/** The TypeScript modules `entry` loads (as this process loaded them), compiled by its ts-node. */
function compiledModules(entry: string): Record<string, string> {
  const cached = compiledCache.get(entry);
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsNode = process[(require("ts-node") as typeof import("ts-node")).REGISTER_INSTANCE];
  if (!tsNode) throw new Error("worker threads from TypeScript sources need ts-node registered");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!require.cache[entry]) require(entry);
  const compiled: Record<string, string> = {};
  const visit = (module: NodeJS.Module | undefined) => {
    if (!module || !module.filename.endsWith(".ts") || module.filename in compiled) return;
    compiled[module.filename] = tsNode.compile(fs.readFileSync(module.filename, "utf8"), module.filename);
    module.children.forEach(visit);
  };
  visit(require.cache[entry]);
  compiledCache.set(entry, compiled);
  return compiled;
}
