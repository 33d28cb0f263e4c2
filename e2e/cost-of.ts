/**
 * Prints the cost in micro-dollars of the usages given as JSON on argv[2], using the app's one cost
 * function. Run with tsx: Playwright's ESM loader cannot import src/pricing (its JSON import has no
 * `with { type: "json" }` attribute).
 *   tsx e2e/cost-of.ts '[{"model":"claude-sonnet-4-5","usage":{"input":1,"output":2,...}}]'
 */
import { costOf } from "~/pricing";
import type { TokenUsage } from "~/ledger/types";

const items = JSON.parse(process.argv[2] ?? "[]") as { model: string; usage: TokenUsage }[];
const total = items.reduce((sum, item) => sum + costOf(item.model, item.usage).costMicros, 0);
process.stdout.write(`${JSON.stringify({ costMicros: total })}\n`);
