import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { PgliteThread } from "../../src/store/pglite-thread";

describe("embedded store on its own thread", function () {
  this.timeout(60_000);
  let dir: string;
  let db: PgliteThread;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-pglite-thread-"));
    db = await PgliteThread.open(path.join(dir, "db"));
    await db.exec("create table t (id int primary key, b bytea, j jsonb, n int8)");
  });

  after(async function () {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("answers statements in the order sent, with bytea as Buffer, int8 as string and jsonb parsed", async function () {
    const inserts = Array.from({ length: 20 }, (_, i) => db.query("insert into t values ($1, $2, $3::jsonb, $4)", [i, Buffer.from([i, 255]), JSON.stringify({ i }), String(2n ** 62n + BigInt(i))]));
    await Promise.all(inserts);
    const rows = await db.query<{ id: number; b: Buffer; j: { i: number }; n: string }>("select * from t order by id");
    expect(rows).to.have.length(20);
    expect(Buffer.isBuffer(rows[3].b)).to.equal(true);
    expect([...rows[3].b]).to.deep.equal([3, 255]);
    expect(rows[3].j).to.deep.equal({ i: 3 });
    expect(rows[3].n).to.equal((2n ** 62n + 3n).toString());
  });

  it("rejects a failing statement with Postgres' code and constraint, and goes on serving", async function () {
    const err = await db.query("insert into t values (1)").then(
      () => undefined,
      (e: Error & { code?: string; constraint?: string }) => e,
    );
    expect(err?.code).to.equal("23505");
    expect(err?.constraint).to.equal("t_pkey");
    expect(await db.query("select count(*)::int as n from t")).to.deep.equal([{ n: 20 }]);
  });

  it("fails to open where the database cannot be created, with the reason", async function () {
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "not a directory");
    const err = await PgliteThread.open(path.join(file, "db")).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
  });
});
