/**
 * The operators' command line, for automation, demos and tests: a software authenticator (a
 * P-256 key in a file you name, mode 0600) stands in for a passkey, and every step goes through
 * the gateway's HTTP API (sign in, draft, sign, submit). Operators at a desk use the console and
 * their own passkeys instead.
 *
 *   npm run operator -- enrol   --key FILE --institution bank|credit_center --label NAME (--code CODE | --sponsor FILE)
 *   npm run operator -- propose --key FILE --target registry|ledger|credit --function NAME --args JSON
 *   npm run operator -- act     --key FILE --target T --function NAME --args JSON   (what one institution does alone)
 *   npm run operator -- approve --key FILE --target T --id N
 *   npm run operator -- reject  --key FILE --target T --id N   (the proposer's institution withdraws instead: --withdraw)
 *   npm run operator -- list    --key FILE --target T
 *   npm run operator -- remove  --key FILE --credential ID [--draft D]   (a credential of your institution; --draft co-signs)
 *
 * Common options: --gateway URL (default $CREDENCE_GATEWAY, else the gateway running on DATA_DIR,
 * from its DATA_DIR/gateway.url, else http://127.0.0.1:$PORT), --origin (default $PUBLIC_ORIGIN,
 * else the gateway's default http://localhost:8080), --rp-id (default $RP_ID, else localhost).
 */
import { Command, Option } from "commander";
import { GatewayProblem, PasskeyOperator, type ClientOptions } from "./lib/passkey-operator";
import { resolveGatewayUrl } from "../src/gateway-address";

interface Common {
  key: string;
  gateway?: string;
  origin: string;
  rpId: string;
}

const program = new Command("operator").description("Operator steps with a software-authenticator passkey (automation, demos, tests)");

function common(cmd: Command): Command {
  return cmd
    .requiredOption("--key <file>", "the software authenticator's key file (created 0600 by enrol if missing)")
    .option("--gateway <url>", "the gateway's base URL (default $CREDENCE_GATEWAY, else the gateway running on $DATA_DIR, else port $PORT)")
    .option("--origin <origin>", "the gateway's PUBLIC_ORIGIN", process.env.PUBLIC_ORIGIN ?? "http://localhost:8080")
    .option("--rp-id <id>", "the gateway's RP_ID", process.env.RP_ID ?? "localhost");
}

const open = (o: Common) => PasskeyOperator.open({ gateway: resolveGatewayUrl(o.gateway).url, origin: o.origin, rpId: o.rpId } satisfies ClientOptions, o.key);
const print = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
};
const target = () => new Option("--target <target>", "the contract").choices(["registry", "ledger", "credit"]).makeOptionMandatory();

common(program.command("enrol").description("enrol this key as a new operator credential"))
  .requiredOption("--institution <institution>", "bank or credit_center")
  .requiredOption("--label <name>", "the operator's label (its operator ID is a keyed hash of it)")
  .option("--code <code>", "the institution's one-time enrolment code (first operator)")
  .option("--sponsor <file>", "the key file of an enrolled operator of the institution who signs the enrolment")
  .action(async (o: Common & { institution: "bank" | "credit_center"; label: string; code?: string; sponsor?: string }) => {
    if (!o.code === !o.sponsor) throw new Error("give exactly one of --code and --sponsor");
    const by = o.code ? { code: o.code } : { sponsor: open({ ...o, key: o.sponsor! }) };
    print(await open(o).enrol(o.institution, o.label, by));
  });

/** A decision on a contract function named with its arguments: a proposal, or an institution's act alone. */
function functionDecision(kind: "propose" | "act", description: string, example: string): void {
  common(program.command(kind).description(description))
    .addOption(target())
    .requiredOption("--function <name>", `the contract function, e.g. ${example}`)
    .requiredOption("--args <json>", "its arguments by name, as JSON")
    .action(async (o: Common & { target: string; function: string; args: string }) => {
      print(await open(o).decide({ kind, target: o.target, function: o.function, args: JSON.parse(o.args) as object }));
    });
}

functionDecision("propose", "propose a dual-control action", "issueCard");
functionDecision("act", "act alone for your institution (the bank's merchants, terminals, agreements, card status and pause; an emergency credit freeze)", "freezeCard");

common(program.command("approve").description("approve a proposal of the other institution (runs it)"))
  .addOption(target())
  .requiredOption("--id <n>", "the proposal ID")
  .action(async (o: Common & { target: string; id: string }) => print(await open(o).decide({ kind: "approve", target: o.target, proposalId: o.id })));

common(program.command("reject").description("reject a proposal of the other institution (or --withdraw your own)"))
  .addOption(target())
  .requiredOption("--id <n>", "the proposal ID")
  .option("--withdraw", "withdraw a proposal of your own institution")
  .action(async (o: Common & { target: string; id: string; withdraw?: boolean }) =>
    print(await open(o).decide({ kind: o.withdraw ? "withdraw" : "reject", target: o.target, proposalId: o.id })),
  );

common(program.command("list").description("list recent proposals"))
  .addOption(target())
  .action(async (o: Common & { target: string }) => print(await open(o).proposals(o.target)));

common(program.command("remove").description("sign the removal of a credential of your institution (your own alone, or another's with one or two other operators)"))
  .requiredOption("--credential <id>", "the credential ID to remove")
  .option("--draft <id>", "co-sign the removal draft another operator started")
  .action(async (o: Common & { credential: string; draft?: string }) => print(await open(o).remove(o.credential, o.draft)));

program.parseAsync().catch((err: Error) => {
  // A gateway problem says its status and stable code; anything else, its message.
  process.stderr.write(`operator: ${err instanceof GatewayProblem ? `refused (${err.message})` : err.message}\n`);
  process.exit(1);
});
