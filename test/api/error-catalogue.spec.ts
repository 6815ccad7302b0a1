/**
 * The error catalogue is the one table of codes: every custom error of the contracts has an
 * entry, every entry says why and what to do, its kind gives the status the gateway answers, and
 * docs/error-codes.md is what `npm run docs:errors` writes from it. Beside it, the table of
 * submission outcomes holds every code the submitter writes into a submission's `reason`.
 */
import { expect } from "chai";
import fs from "node:fs";
import hre from "hardhat";
import { CONTRACT_ERROR_NAMES, CONTRACT_ERRORS_WITHOUT_NATSPEC, ERROR_CATALOGUE, isCatalogued, type ErrorCode } from "../../src/domain/error-catalogue";
import { DomainError } from "../../src/domain/domain-error";
import { KIND_STATUS, toProblem } from "../../src/http/problem";
import { REJECTION_CODES } from "../../packages/terminal-sdk/src/constants";
import { ERROR_CODES_DOC, contractErrors, errorCodesMarkdown } from "../../scripts/error-docs";
import {
  LEDGER_REFUSAL_CODES,
  SUBMISSION_OUTCOMES,
  SUBMITTER_OUTCOME_CODES,
  isSubmissionOutcome,
  type SubmissionOutcomeCode,
} from "../../src/domain/submission-outcomes";
import { revertCode } from "../../src/worker/calls";
import { PointsLedger__factory } from "../../typechain-types";
import { ZeroAddress, ZeroHash, type ErrorFragment, type ParamType } from "ethers";
import path from "node:path";

/** A harmless value of an ABI type, to encode an error with. */
function zeroOf(param: ParamType): unknown {
  if (param.baseType === "address") return ZeroAddress;
  if (param.baseType === "bool") return false;
  if (param.baseType === "string") return "";
  if (param.baseType === "bytes") return "0x";
  if (param.baseType.startsWith("bytes")) return ZeroHash.slice(0, 2 + 2 * Number(param.baseType.slice(5)));
  return 0n;
}

/** Every .ts file under `dir`. */
function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const file = path.join(dir, d.name);
    return d.isDirectory() ? sourcesUnder(file) : file.endsWith(".ts") ? [file] : [];
  });
}

describe("error catalogue", () => {
  let natSpec: Map<string, string>;

  before(async () => {
    natSpec = await contractErrors(hre.artifacts);
  });

  describe("contract errors", () => {
    it("has an entry contract.<Name> for every custom error of the contracts, and none for an error they do not have", () => {
      expect([...CONTRACT_ERROR_NAMES].sort()).to.deep.equal([...natSpec.keys()].sort());
    });

    it("says why for every contract error: its NatSpec, or the catalogue's own words where it has none", () => {
      const unexplained = CONTRACT_ERROR_NAMES.filter((name) => !natSpec.get(name) && !CONTRACT_ERRORS_WITHOUT_NATSPEC[name]);
      const explainedTwice = CONTRACT_ERROR_NAMES.filter((name) => natSpec.get(name) && CONTRACT_ERRORS_WITHOUT_NATSPEC[name]);
      expect({ unexplained, explainedTwice }).to.deep.equal({ unexplained: [], explainedTwice: [] });
    });
  });

  describe("entries", () => {
    it("lists every rejection reason of the ledger but none", () => {
      expect(REJECTION_CODES.filter((code) => code !== "none" && !isCatalogued(code))).to.deep.equal([]);
      expect(isCatalogued("none")).to.equal(false);
    });

    it("gives every code a dotted lower snake case name, a title, a why and a what to do", () => {
      const malformed = Object.entries(ERROR_CATALOGUE).filter(
        ([code, e]) => !(code === "internal" || /^[a-z_]+\.[A-Za-z_]+$/.test(code)) || !e.title || !e.why || !e.action || KIND_STATUS[e.kind] === undefined,
      );
      expect(malformed.map(([code]) => code)).to.deep.equal([]);
    });

    it("answers a domain error with its code's status and title from the catalogue", () => {
      const cases: [ErrorCode, number][] = [
        ["card.closed", 409],
        ["card.not_found", 404],
        ["card.unknown", 422],
        ["session.required", 401],
        ["portal.account_locked", 429],
        ["gateway.not_ready", 503],
        ["contract.LedgerBatchSize", 422],
      ];
      for (const [code, status] of cases) {
        const { problem } = toProblem(new DomainError({ code, detail: "x" }));
        expect(problem, code).to.include({ code, status, title: ERROR_CATALOGUE[code].title, type: `urn:credence:problem:${code}`, detail: "x" });
      }
    });

    it("does not take a code outside the catalogue", () => {
      expect(isCatalogued("points.refused")).to.equal(false);
      expect(isCatalogued("toString")).to.equal(false);
    });
  });

  describe("submission outcomes", () => {
    const ledger = PointsLedger__factory.connect(ZeroAddress);
    const reverted = (name: string, args?: unknown[]) => {
      const fragment = ledger.interface.getError(name) as ErrorFragment;
      return { data: ledger.interface.encodeErrorResult(fragment, args ?? fragment.inputs.map(zeroOf)) };
    };

    it("holds every rejection reason of the ledger but none, and each refusal the ledger answers with an error", () => {
      const missing = [...REJECTION_CODES, ...LEDGER_REFUSAL_CODES].filter((code) => code !== "none" && !isSubmissionOutcome(code));
      expect(missing).to.deep.equal([]);
      expect(isSubmissionOutcome("none")).to.equal(false);
      expect(isSubmissionOutcome("ledger.bogus")).to.equal(false);
    });

    it("holds the code the submitter writes for every custom error the ledger can revert with", () => {
      const codes = new Map<string, SubmissionOutcomeCode>();
      ledger.interface.forEachError((fragment) => codes.set(fragment.name, revertCode(ledger, reverted(fragment.name))));
      const outside = [...codes].filter(([, code]) => !isSubmissionOutcome(code));
      expect(outside).to.deep.equal([]);
      expect(codes.get("EnforcedPause")).to.equal("ledger.paused");
      expect(codes.get("LedgerUnauthorized")).to.equal("gateway.unauthorized");
      expect(codes.get("LedgerProofInvalid")).to.equal("refund.proof_invalid");
      expect(codes.get("LedgerBatchSize")).to.equal("contract.LedgerBatchSize");
    });

    it("writes a rejection reason newer than the gateway as ledger.rejection_unknown, and a revert without data as ledger.unavailable", () => {
      expect(revertCode(ledger, reverted("LedgerRefundRejected", [REJECTION_CODES.indexOf("card.not_active")]))).to.equal("card.not_active");
      expect(revertCode(ledger, reverted("LedgerRedemptionRejected", [REJECTION_CODES.length]))).to.equal("ledger.rejection_unknown");
      expect(revertCode(ledger, new Error("connection refused"))).to.equal("ledger.unavailable");
      expect(revertCode(ledger, { data: "0xdeadbeef" })).to.equal("ledger.reverted");
    });

    it("leaves no reason code as an SQL literal, where the compiler cannot check it against the table", () => {
      const literals = sourcesUnder(path.resolve(__dirname, "../../src"))
        .filter((file) => !file.includes(`${path.sep}web${path.sep}`))
        .flatMap((file) => [...fs.readFileSync(file, "utf8").matchAll(/reason\s*(?:=|is distinct from)\s*'([^']*)'/g)].map((m) => `${path.basename(file)}: ${m[1]}`));
      expect(literals).to.deep.equal([]);
    });

    it("says for every code its statuses, why and what to do; a code that only waits asks for no new nonce", () => {
      const malformed = Object.entries(SUBMISSION_OUTCOMES).filter(
        ([, e]) => e.statuses.length === 0 || !e.why || !e.action || (e.newNonce && !e.statuses.includes("rejected")),
      );
      expect(malformed.map(([code]) => code)).to.deep.equal([]);
      expect(SUBMISSION_OUTCOMES["ledger.receipt_lost"]).to.include({ newNonce: false });
      expect(SUBMISSION_OUTCOMES["ledger.receipt_lost"].statuses).to.deep.equal(["confirmed"]);
      // @ts-expect-error a code outside the table does not compile where a reason is written
      const bogus: SubmissionOutcomeCode = "ledger.bogus";
      expect(isSubmissionOutcome(bogus)).to.equal(false);
    });

    it("gives the submitter's own codes no HTTP status: they are not problem codes", () => {
      expect(SUBMITTER_OUTCOME_CODES.filter((code) => isCatalogued(code))).to.deep.equal([]);
    });
  });

  describe("docs/error-codes.md", () => {
    it("is what npm run docs:errors writes from the catalogue", () => {
      const written = fs.readFileSync(ERROR_CODES_DOC, "utf8");
      expect(written === errorCodesMarkdown(natSpec), "docs/error-codes.md is stale: run npm run docs:errors").to.equal(true);
    });

    it("lists every code the submitter writes, under Submission outcomes, linked from the terminal integration guide", () => {
      const written = fs.readFileSync(ERROR_CODES_DOC, "utf8");
      const section = written.slice(written.indexOf("## Submission outcomes"));
      expect(SUBMITTER_OUTCOME_CODES.filter((code) => !section.includes(`| \`${code}\` |`))).to.deep.equal([]);
      const guide = fs.readFileSync(path.resolve(__dirname, "../../docs/terminal-integration.md"), "utf8");
      expect(guide).to.include("error-codes.md#submission-outcomes");
    });

    it("lists every code of the catalogue with its status", () => {
      const written = fs.readFileSync(ERROR_CODES_DOC, "utf8");
      const missing = Object.entries(ERROR_CATALOGUE).filter(([code, e]) => !written.includes(`| \`${code}\` | ${KIND_STATUS[e.kind]} |`));
      expect(missing.map(([code]) => code)).to.deep.equal([]);
    });
  });
});
