/**
 * Compiles the relay tier (scripts/relay-server.ts and what it imports from src/) into one ES
 * module, .relay-build/relay-server.mjs, that plain `node` runs: `npm run relay` builds it (about
 * 0.3 s) and starts it. Under tsx every module goes through its loader hooks, and tsx compiles with
 * esbuild's keepNames, which wraps every named function and closure in a defineProperty call when
 * it is made; on the relay's hot path that was a few per cent of its CPU. node_modules stay
 * external (imported as installed). A source map sits beside it for `--enable-source-maps`.
 *
 *   node scripts/build-relay.mjs [--outfile PATH]   (default .relay-build/relay-server.mjs; PATH
 *                                                    must be inside the repository, so that its
 *                                                    imports find node_modules)
 */
import { renameSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { outfile: { type: "string" } } });
const outfile = path.resolve(root, values.outfile ?? ".relay-build/relay-server.mjs");
const result = await build({
  absWorkingDir: root,
  entryPoints: ["scripts/relay-server.ts"],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  tsconfig: "tsconfig.json",
  sourcemap: "linked",
  logLevel: "warning",
  write: false,
});
// Each file written whole and renamed into place: a relay starting while another build runs never
// reads half a file.
mkdirSync(path.dirname(outfile), { recursive: true });
for (const file of result.outputFiles) {
  const tmp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
}
console.error(`[build-relay] ${path.relative(root, outfile)}`);
