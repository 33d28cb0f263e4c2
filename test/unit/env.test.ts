import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "~/infra/env";

const good = { NEXTAUTH_SECRET: "x".repeat(32), ENCRYPTION_KEY: "ab".repeat(32) };

describe("environment validation", () => {
  it("fills local defaults", () => {
    const env = parseEnv(good);
    expect(env.DATABASE_URL).toBe("postgresql://postgres@127.0.0.1:5432/metergate");
    expect(env.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(env.FLUSH_INTERVAL_MS).toBe(2000);
    expect(env.FLUSH_IN_PROCESS).toBe(true);
  });

  it("names every missing or bad variable", () => {
    let message = "";
    try {
      parseEnv({ REDIS_URL: "not a url", ENCRYPTION_KEY: "short", FLUSH_INTERVAL_MS: "-5" });
    } catch (e) {
      expect(e).toBeInstanceOf(EnvError);
      message = (e as Error).message;
    }
    for (const name of ["REDIS_URL", "NEXTAUTH_SECRET", "ENCRYPTION_KEY", "FLUSH_INTERVAL_MS"]) expect(message).toContain(name);
  });

  it("treats an empty value as unset", () => {
    expect(parseEnv({ ...good, REDIS_URL: "" }).REDIS_URL).toBe("redis://127.0.0.1:6379");
  });
});
