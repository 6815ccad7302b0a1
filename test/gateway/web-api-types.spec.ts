/**
 * The web app's typed client is generated from the gateway's OpenAPI document and committed
 * (src/web/shared/api/gateway-api.ts): it must be what `npm run web:api` writes today, and the
 * operator API's paths the console declares itself until the gateway documents them
 * (operator-api-pending.ts) must leave that file as soon as the gateway documents them.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config";
import { startGateway, type RunningGateway } from "../../src/gateway";
import { PENDING_PATHS } from "../../src/web/shared/api/operator-api-pending";
import { WEB_API_TYPES, apiTypesOf } from "../../scripts/web-api-types";

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> }>>;
}

describe("the web app's typed client", function () {
  this.timeout(120_000);
  let gateway: RunningGateway;
  let dataDir: string;
  let document: OpenApiDocument;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-openapi-"));
    gateway = await startGateway(loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent" }));
    document = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as OpenApiDocument;
  });

  after(async () => {
    await gateway?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("is generated from the gateway's current OpenAPI document (npm run web:api)", () => {
    expect(fs.readFileSync(WEB_API_TYPES, "utf8") === apiTypesOf(document), "src/web/shared/api/gateway-api.ts is stale: run npm run web:api").to.equal(true);
  });

  it("declares no operator path itself that the gateway documents with a JSON answer", () => {
    const documented = PENDING_PATHS.filter((p) =>
      Object.values(document.paths[p] ?? {}).some((operation) =>
        Object.entries(operation.responses ?? {}).some(([status, r]) => status.startsWith("2") && r.content?.["application/json"]),
      ),
    );
    expect(documented, "drop these from src/web/shared/api/operator-api-pending.ts, then npm run web:api").to.deep.equal([]);
  });
});
