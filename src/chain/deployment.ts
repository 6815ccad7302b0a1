/**
 * The deployment record: which chain and which contract addresses the gateway, the auditor and
 * the tools talk to. The embedded default keeps it in DATA_DIR/deployment.json.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

export const deploymentSchema = z.object({
  chainId: z.string().regex(/^\d+$/),
  /** CredenceOperators: the operators' credentials, which verify every dual-control step. */
  operators: addressSchema.optional(),
  registry: addressSchema,
  ledger: addressSchema,
  deploymentBlock: z.number().int().nonnegative(),
  /** The credit center's contracts; absent in records written before they existed (the gateway adds them on start). */
  creditScores: addressSchema.optional(),
  creditGrants: addressSchema.optional(),
});

export type DeploymentRecord = z.infer<typeof deploymentSchema>;

export function readDeployment(file: string): DeploymentRecord | undefined {
  if (!fs.existsSync(file)) return undefined;
  const parsed = deploymentSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file} is not a valid deployment record: ${parsed.error.message}`);
  return parsed.data;
}

export function writeDeployment(file: string, record: DeploymentRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(record, null, 2) + "\n");
  fs.renameSync(tmp, file);
}
