/**
 * First-run convenience: writes .env with fresh random secrets when it does not exist, so that
 * `npm start` works on a new machine. Existing files are never changed.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseEnv } from "node:util";

export function ensureDotEnv(root: string = process.cwd()): string {
  const file = path.join(root, ".env");
  if (!existsSync(file)) {
    writeFileSync(
      file,
      [
        "# Generated on first start; see README for every variable.",
        `NEXTAUTH_SECRET=${randomBytes(32).toString("base64url")}`,
        `ENCRYPTION_KEY=${randomBytes(32).toString("hex")}`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    console.error(`[env] wrote ${file} with new secrets`);
  }
  return file;
}

/** Loads .env into process.env without overriding variables already set. */
export function loadDotEnv(root: string = process.cwd()): void {
  // Secrets given by the environment (containers, CI): no .env needed, none written.
  if (process.env.NEXTAUTH_SECRET && process.env.ENCRYPTION_KEY && !existsSync(path.join(root, ".env"))) return;
  const file = ensureDotEnv(root);
  process.loadEnvFile(file);
}

/**
 * `export NAME='value'` lines for the .env variables the environment does not set (for a shell to
 * eval: scripts/load-env.sh). Names that are not shell identifiers are skipped.
 */
export function dotEnvExports(root: string = process.cwd(), environment: NodeJS.ProcessEnv = process.env): string {
  const values = parseEnv(readFileSync(ensureDotEnv(root), "utf8"));
  const lines: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || environment[name] !== undefined) continue;
    lines.push(`export ${name}='${value.replaceAll("'", `'\\''`)}'`);
  }
  return lines.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes("--exports")) console.log(dotEnvExports());
  else ensureDotEnv();
}
