/**
 * The error catalogue is the one table of codes: every custom error of the contracts has an
 * entry, every entry says why and what to do, its kind gives the status the gateway answers, and
 * docs/error-codes.md is what `npm run docs:errors` writes from it.
 */
import { expect } from "chai";
import fs from "node:fs";
import hre from "hardhat";
import { CONTRACT_ERROR_NAMES, CONTRACT_ERRORS_WITHOUT_NATSPEC, ERROR_CATALOGUE, isCatalogued, type ErrorCode } from "../../src/domain/error-catalogue";
import { DomainError } from "../../src/domain/domain-error";
import { KIND_STATUS, toProblem } from "../../src/http/problem";
import { REJECTION_CODES } from "../../packages/terminal-sdk/src/constants";
import { ERROR_CODES_DOC, contractErrors, errorCodesMarkdown } from "../../scripts/error-docs";

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

  describe("docs/error-codes.md", () => {
    it("is what npm run docs:errors writes from the catalogue", () => {
      const written = fs.readFileSync(ERROR_CODES_DOC, "utf8");
      expect(written === errorCodesMarkdown(natSpec), "docs/error-codes.md is stale: run npm run docs:errors").to.equal(true);
    });

    it("lists every code of the catalogue with its status", () => {
      const written = fs.readFileSync(ERROR_CODES_DOC, "utf8");
      const missing = Object.entries(ERROR_CATALOGUE).filter(([code, e]) => !written.includes(`| \`${code}\` | ${KIND_STATUS[e.kind]} |`));
      expect(missing.map(([code]) => code)).to.deep.equal([]);
    });
  });
});
