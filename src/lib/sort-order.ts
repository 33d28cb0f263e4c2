/**
 * A table's order: one of its sortable columns and a direction. One definition for every
 * server-sorted table (request log, sessions, admin tenants), so the URL codecs, the tRPC inputs
 * and the keyset cursors all accept the same shapes.
 */
import { z } from "zod";

export const sortDirectionSchema = z.enum(["asc", "desc"]);
export type SortDirection = z.infer<typeof sortDirectionSchema>;

/** `{ key, dir }` over the given column keys. */
export function sortOrderSchema<const K extends readonly [string, ...string[]]>(keys: K) {
  return z.object({ key: z.enum(keys), dir: sortDirectionSchema });
}
