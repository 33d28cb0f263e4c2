/**
 * Adds effective-dated entries to the price catalog from a price file, never overwriting one.
 *
 *   npm run prices:update -- FILE [--effective-from 2026-12-01] [--dry-run] [--catalog src/pricing/catalog.json]
 *                                 [--source-url URL] [--read-on YYYY-MM-DD]
 *   npm run prices:update -- --list        (every catalog entry: rates, source, not-priced reasons)
 *
 * FILE is either LiteLLM's `model_prices_and_context_window.json` format (chat models of
 * anthropic and openai are kept, $/token converted exactly to µ$/MTok) or the catalog's own format
 * (`{ "entries": [...] }`, entries as in catalog.json; effectiveFrom, readOn and sourceUrl may be
 * left to the flags). For each model whose prices differ from the entry in effect at
 * `--effective-from` (default: now), a new entry is added from that instant; unchanged prices add
 * nothing, and an entry dated at or before the model's latest entry is refused (it would re-price
 * history). Prints a JSON summary of what was added on stdout; writes unless --dry-run.
 * Exit code 1 on an unreadable file or an invalid result (nothing is written then).
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildCatalog, catalogSchema, instantMs, serializeCatalog } from "../src/pricing/catalog";
import { formatCatalogListing } from "../src/pricing/listing";
import { isCatalogFormat, mergeIntoCatalog, proposalsFromCatalogFile, proposalsFromLiteLLM } from "../src/pricing/litellm";

const USAGE =
  "usage: npm run prices:update -- FILE [--effective-from DATE] [--dry-run] [--catalog src/pricing/catalog.json] [--source-url URL] [--read-on YYYY-MM-DD]\n" +
  "       npm run prices:update -- --list [--catalog src/pricing/catalog.json]";

function main(): number {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean", default: false },
      catalog: { type: "string", default: path.join("src", "pricing", "catalog.json") },
      "effective-from": { type: "string" },
      "source-url": { type: "string" },
      "read-on": { type: "string" },
      list: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const catalogPath = values.catalog ?? path.join("src", "pricing", "catalog.json");
  const current = catalogSchema.parse(JSON.parse(readFileSync(catalogPath, "utf8")));
  if (values.list) {
    console.log(formatCatalogListing(buildCatalog(current)));
    return 0;
  }
  const file = positionals[0];
  if (values.help || !file) {
    console.error(USAGE);
    return values.help ? 0 : 1;
  }
  const now = new Date();
  const effectiveFrom = values["effective-from"] ?? now.toISOString().replace(/\.\d{3}Z$/, "Z");
  if (!Number.isFinite(instantMs(effectiveFrom))) throw new Error(`--effective-from ${effectiveFrom} is not a date`);
  const readOn = values["read-on"] ?? now.toISOString().slice(0, 10);

  const raw: unknown = JSON.parse(readFileSync(file, "utf8"));
  const catalogFormat = isCatalogFormat(raw);
  const fromCatalog = catalogFormat ? proposalsFromCatalogFile(raw) : null;
  const fromLiteLLM = catalogFormat ? null : proposalsFromLiteLLM(raw);
  const sourceUrl =
    values["source-url"] ??
    (catalogFormat ? `file:${path.basename(file)}` : "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json");
  const merged = mergeIntoCatalog(current, fromCatalog?.proposals ?? fromLiteLLM?.proposals ?? [], {
    effectiveFrom,
    readOn,
    sourceUrl,
    modifierSets: fromCatalog?.modifierSets,
  });
  buildCatalog(merged.data); // validates the result as the app will load it

  const dryRun = values["dry-run"] === true;
  const summary = {
    file,
    format: catalogFormat ? "catalog" : "litellm",
    catalog: catalogPath,
    dryRun,
    effectiveFrom,
    entries: { before: current.entries.length, after: merged.data.entries.length },
    added: merged.added.map((a) => ({ model: a.model, effectiveFrom: a.effectiveFrom, follows: a.follows, changes: a.changes })),
    unchanged: merged.unchanged.length,
    folded: merged.folded,
    notInFile: merged.notInFile.length,
    skipped: [...merged.skipped, ...(fromLiteLLM?.converted.skipped ?? [])],
    corrected: fromLiteLLM?.converted.issues.filter((i) => i.level === "corrected") ?? [],
    warnings: [...(fromLiteLLM?.converted.issues.filter((i) => i.level === "warning") ?? []), ...merged.warnings],
    written: false,
  };
  if (!dryRun && merged.added.length > 0) {
    // Write to a temp file and rename, so a crash never leaves half a catalog.
    const tmp = `${catalogPath}.tmp-${process.pid}`;
    writeFileSync(tmp, serializeCatalog(merged.data));
    renameSync(tmp, catalogPath);
    summary.written = true;
  }
  console.log(JSON.stringify(summary, null, 2));
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`prices:update failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
