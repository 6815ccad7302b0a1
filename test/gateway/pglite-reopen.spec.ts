import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { openPglite, type Db } from "../../src/store/db";
import { isStorageFailure } from "../../src/store/pglite-reopen";
import { errorFields, PgliteThread, PgliteThreadFailure, statementError } from "../../src/store/pglite-thread";
import { StoreUnavailableError } from "../../src/store/store-unavailable";
import { canMount, ReadOnlySwitch } from "../chaos/helpers/read-only-mount";
import { tempDir } from "./helpers/process";

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

const failureOf = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe("embedded store when DATA_DIR cannot be written (ADR 0011)", function () {
  this.timeout(60_000);

  describe("isStorageFailure", function () {
    it("counts failures of the files, not of the statement", function () {
      expect(isStorageFailure({ code: "53100", message: "could not extend file: No space left on device" })).to.equal(true);
      expect(isStorageFailure({ code: "58P02", message: 'could not create file "base/5/1_fsm": File exists' })).to.equal(true);
      expect(isStorageFailure({ code: "42501", message: 'could not create file "base/5/1": Read-only file system' })).to.equal(true);
      expect(isStorageFailure(new PgliteThreadFailure("the embedded store's thread exited (code 1)"))).to.equal(true);
    });

    it("counts a WASM abort and Postgres exiting, as they reach the caller from the thread", function () {
      const abort = new WebAssembly.RuntimeError("Aborted(OOM). Build with -sASSERTIONS for more info.");
      const exit = Object.assign(Object.create(null) as object, { name: "ExitStatus", message: "Program terminated with exit(1)", status: 1 });
      expect(isStorageFailure(statementError(errorFields(abort)))).to.equal(true);
      expect(isStorageFailure(statementError(errorFields(exit)))).to.equal(true);
    });

    it("leaves programming errors alone: a TypeError, a DataCloneError", function () {
      const typeError = failureOf(() => (undefined as unknown as { rows: unknown[] }).rows);
      expect(typeError).to.be.instanceOf(TypeError);
      expect(isStorageFailure(typeError)).to.equal(false);
      const cloneError = failureOf(() => structuredClone(() => 1));
      expect((cloneError as Error).name).to.equal("DataCloneError");
      expect(isStorageFailure(cloneError)).to.equal(false);
      // The same errors raised inside the thread reach the caller by name, and stay the statement's.
      expect(isStorageFailure(statementError(errorFields(typeError)))).to.equal(false);
    });

    it("leaves a statement's own failures alone", function () {
      expect(isStorageFailure({ code: "23505", message: "duplicate key value violates unique constraint" })).to.equal(false);
      expect(isStorageFailure({ code: "42501", message: "permission denied for table t" })).to.equal(false);
      expect(isStorageFailure({ code: "40001", message: "could not serialize access" })).to.equal(false);
    });
  });

  describe("a thread's own failures", function () {
    const dir = tempDir("pglite-thread-failures");
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("counts a statement past the timeout as a storage failure, of every statement after it too", async function () {
      const thread = await PgliteThread.open(path.join(dir, "hung"), { statementTimeoutMs: 300 });
      try {
        const hung = await failure(thread.query("select pg_sleep(3)"));
        expect(hung).to.be.instanceOf(PgliteThreadFailure);
        expect((hung as Error).message).to.match(/did not answer within 300 ms/);
        expect(isStorageFailure(hung)).to.equal(true);
        expect(isStorageFailure(await failure(thread.query("select 1")))).to.equal(true);
      } finally {
        await thread.terminate();
      }
    });

    it("fails only the statement whose parameters cannot be sent, not the thread", async function () {
      const thread = await PgliteThread.open(path.join(dir, "clone"), { statementTimeoutMs: 300 });
      try {
        const unsendable = await failure(thread.query("select $1::text", [() => 1]));
        expect((unsendable as Error).name).to.equal("DataCloneError");
        expect(isStorageFailure(unsendable)).to.equal(false);
        await new Promise((resolve) => setTimeout(resolve, 600)); // past the statement timeout
        expect(await thread.query("select 1 as one")).to.deep.equal([{ one: 1 }]);
      } finally {
        await thread.close();
      }
    });
  });

  describe("when DATA_DIR turns read-only and writable again", function () {
    const dir = tempDir("pglite-reopen");
    const readOnly = new ReadOnlySwitch(dir);
    let db: Db;

    before(async function () {
      if (!(await canMount())) {
        console.warn("      SKIPPED: this machine does not let the test mount (root with CAP_SYS_ADMIN makes DATA_DIR read-only).");
        this.skip();
      }
      db = await openPglite(path.join(dir, "db"));
      await db.exec("create table t (id int primary key)");
      await db.query("insert into t values (1)");
    });

    after(async function () {
      await readOnly.writable().catch(() => undefined);
      await db?.close();
      await readOnly.release();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("answers StoreUnavailableError while it cannot write, then serves again with every commit", async function () {
      await readOnly.readOnly();
      // Creating a file fails (files already open would still take writes).
      const first = await failure(db.exec("create table u (id int)"));
      expect(first).to.be.instanceOf(StoreUnavailableError);
      expect((first as StoreUnavailableError).reason).to.match(/could not create file .*Read-only file system/);
      expect(await failure(db.query("select 1"))).to.be.instanceOf(StoreUnavailableError);
      expect(await failure(db.transaction((tx) => tx.query("insert into t values (2)")))).to.be.instanceOf(StoreUnavailableError);

      await readOnly.writable();
      const deadline = Date.now() + 20_000;
      while ((await failure(db.query("select 1"))) !== undefined) {
        expect(Date.now(), "the store did not open again within 20 s").to.be.below(deadline);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await db.exec("create table u (id int)");
      await db.transaction((tx) => tx.query("insert into t values (2)"));
      expect(await db.query("select id from t order by id")).to.deep.equal([{ id: 1 }, { id: 2 }]);
    });
  });
});
