/**
 * Refreshes the price table from a LiteLLM `model_prices_and_context_window.json`-format file.
 *
 *   npm run prices:update -- FILE [--dry-run] [--table src/pricing/prices.json]
 *
 * Keeps chat models of anthropic and openai, converts $/token to integer µ$/Mtok exactly, fills
 * missing cache rates by the providers' rules, corrects known-wrong patterns (reported), merges
 * over the current table (existing entries updated, new ones added, others kept), validates the
 * result and prints a JSON summary of the changes on stdout. Writes unless --dry-run.
 * Exit code 1 on an unreadable file or an invalid result (nothing is written then).
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { convertLiteLLM, mergePriceTable } from "../src/pricing/litellm";
import { priceTableSchema } from "../src/pricing/index";

function main(): number {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean", default: false },
      table: { type: "string", default: path.join("src", "pricing", "prices.json") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const file = positionals[0];
  if (values.help || !file) {
    console.error("usage: npm run prices:update -- FILE [--dry-run] [--table src/pricing/prices.json]");
    return values.help ? 0 : 1;
  }
  const tablePath = values.table ?? path.join("src", "pricing", "prices.json");

  const raw: unknown = JSON.parse(readFileSync(file, "utf8"));
  const current = priceTableSchema.parse(JSON.parse(readFileSync(tablePath, "utf8")));
  const converted = convertLiteLLM(raw);
  const today = new Date().toISOString().slice(0, 10);
  const { table, diff } = mergePriceTable(current, converted.models, {
    version: today,
    source: `LiteLLM model_prices_and_context_window.json (${path.basename(file)}, loaded ${today}) over provider price pages; refresh with \`npm run prices:update -- FILE\``,
  });

  const dryRun = values["dry-run"] === true;
  const summary = {
    file,
    table: tablePath,
    dryRun,
    version: { from: current.version, to: table.version },
    models: { before: Object.keys(current.models).length, after: Object.keys(table.models).length },
    added: diff.added,
    updated: diff.updated,
    unchanged: diff.unchanged,
    notInFile: diff.notInFile,
    folded: diff.folded,
    corrected: converted.issues.filter((i) => i.level === "corrected"),
    warnings: [...converted.issues.filter((i) => i.level === "warning"), ...diff.warnings],
    skipped: converted.skipped,
    written: false,
  };
  if (!dryRun) {
    // Write to a temp file and rename, so a crash never leaves half a table.
    const tmp = `${tablePath}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(table, null, 1)}\n`);
    renameSync(tmp, tablePath);
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
