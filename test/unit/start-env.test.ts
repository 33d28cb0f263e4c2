/**
 * scripts/start.sh loads .env through scripts/load-env.sh: variables already exported win over
 * .env, and .env is read as data (never run as shell code).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const LOAD_ENV = path.resolve(import.meta.dirname, "../../scripts/load-env.sh");
let dir = "";

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function loadIn(dotEnv: string, exported: Record<string, string>, print: string[]): string {
  dir = mkdtempSync(path.join(os.tmpdir(), "metergate-load-env-"));
  writeFileSync(path.join(dir, ".env"), dotEnv);
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, ...exported } as unknown as NodeJS.ProcessEnv;
  const script = `. '${LOAD_ENV}'; printf '%s|' ${print.map((n) => `"$${n}"`).join(" ")}`;
  return execFileSync("bash", ["-c", script], { cwd: dir, env, encoding: "utf8" });
}

describe("start.sh environment loading", () => {
  it("keeps exported variables and fills the rest from .env", () => {
    const out = loadIn("FOO=from-dotenv\nBAR=\"dotenv only\"\nQUOTE=it's\n", { FOO: "exported" }, ["FOO", "BAR", "QUOTE"]);
    expect(out).toBe("exported|dotenv only|it's|");
  });

  it("an exported empty value still wins", () => {
    expect(loadIn("FOO=from-dotenv\n", { FOO: "" }, ["FOO"])).toBe("|");
  });

  it("reads .env as data: command substitutions are not run", () => {
    const out = loadIn("EVIL=$(touch pwned)\n", {}, ["EVIL"]);
    expect(out).toBe("$(touch pwned)|");
    expect(existsSync(path.join(dir, "pwned"))).toBe(false);
  });
});
