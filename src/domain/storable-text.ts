/**
 * Text the store can hold. PostgreSQL's text and jsonb cannot hold U+0000 (NUL): a string with
 * one is refused where it enters (422 `request.text_unstorable`), never sent to the database.
 */
import type { z } from "zod";

/** The zod issue parameter that marks a refusal of unstorable text (problem.ts maps it to 422). */
export const UNSTORABLE_TEXT = "unstorableText";

/** `schema`, refusing any string with U+0000 (NUL) in it. */
export function storableText<T extends z.ZodString>(schema: T): T {
  return schema.refine((s) => !s.includes("\u0000"), { message: "U+0000 (NUL) cannot be stored", params: { [UNSTORABLE_TEXT]: true } });
}
