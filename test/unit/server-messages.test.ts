/**
 * Server messages in the caller's language (src/i18n/server-messages.ts): every literal message the
 * server code throws has a `server.*` dictionary entry, and tRPC errors / validation issues come out
 * in 中文 for a Chinese caller, zod's own messages included.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { en } from "~/i18n/en";
import { localizeIssue, localizeServerMessage, matchServerMessage, requestLocale } from "~/i18n/server-messages";
import { zhCN } from "~/i18n/zh-CN";

const SRC = path.resolve(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "generated" || name === "i18n") return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(name) && !name.endsWith(".test.ts") ? [full] : [];
  });
}

/** Messages the server code writes literally: TRPCError messages and zod check messages. */
function literalMessages(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const patterns = [
    /new TRPCError\(\{[^}]*?message:\s*(["`])((?:(?!\1).)+)\1/gs,
    /\.(?:min|max|regex|refine|email|uuid)\((?:[^()"`]|\([^()]*\))*?,\s*(["`])((?:(?!\1).)+)\1\s*\)/g,
    /\{\s*message:\s*(["`])((?:(?!\1).)+)\1\s*\}\)/g,
  ];
  for (const file of sourceFiles(path.join(SRC, "server")).concat(sourceFiles(path.join(SRC, "egress")))) {
    const text = readFileSync(file, "utf8");
    for (const pattern of patterns) {
      for (const m of text.matchAll(pattern)) out.push({ file: path.relative(SRC, file), text: m[2]!.replace(/\$\{[^}]+\}/g, "7") });
    }
  }
  return out;
}

describe("server messages", () => {
  it("finds the literal messages of src/server (the scan works)", () => {
    const texts = literalMessages().map((m) => m.text);
    expect(texts).toContain("No such key in this tenant");
    expect(texts).toContain("Name the key");
    expect(texts.length).toBeGreaterThan(25);
  });

  it("every literal server message has a server.* dictionary entry", () => {
    const missing = literalMessages().filter((m) => !matchServerMessage(m.text) && !/^[a-z]/.test(m.text));
    expect(missing).toEqual([]);
  });

  it("every server.* entry is translated", () => {
    const zh = zhCN as Record<string, string>;
    for (const key of Object.keys(en).filter((k) => k.startsWith("server."))) {
      expect(zh[key], key).toBeTruthy();
      expect(zh[key], key).not.toBe((en as Record<string, string>)[key]);
    }
  });

  it("renders a message in 中文 with its values; English stays as thrown", () => {
    expect(localizeServerMessage("No such key in this tenant", "zh-CN")).toBe("此租户中没有这个密钥");
    expect(localizeServerMessage("Too many sign-ups from this address; try again in 3 minutes", "zh-CN")).toBe("此地址注册次数过多，请在 3 分钟后重试");
    expect(localizeServerMessage("No such key in this tenant", "en")).toBe("No such key in this tenant");
    expect(localizeServerMessage("something nobody wrote down", "zh-CN")).toBe("something nobody wrote down");
  });

  it("a bare error code becomes words, in both languages", () => {
    expect(localizeServerMessage("FORBIDDEN", "en")).toBe("You are not allowed to do this");
    expect(localizeServerMessage("UNAUTHORIZED", "zh-CN")).toBe("请先登录");
  });

  it("validation issues: our texts by the dictionary, zod's by zod's Chinese locale", () => {
    // As src/server/auth/credentials.ts words its rule (that module needs a database).
    const tooShort = z.string().refine((p) => p.length >= 10, "Password must be at least 10 characters").safeParse("short");
    expect(tooShort.success).toBe(false);
    expect(localizeIssue(tooShort.error!.issues[0]!, "zh-CN")).toBe("密码至少需要 10 个字符");
    const zodOwn = z.object({ name: z.string().max(3) }).safeParse({ name: "toolong" });
    const text = localizeIssue(zodOwn.error!.issues[0]!, "zh-CN");
    expect(text).toMatch(/[\u4e00-\u9fff]/);
    expect(text).not.toMatch(/Too big/);
    expect(localizeIssue(zodOwn.error!.issues[0]!, "en")).toBe(zodOwn.error!.issues[0]!.message);
  });

  it("the caller's locale: cookie first, then Accept-Language", () => {
    expect(requestLocale(new Headers({ cookie: "a=1; mg-locale=zh-CN", "accept-language": "en" }))).toBe("zh-CN");
    expect(requestLocale(new Headers({ "accept-language": "zh-CN,zh;q=0.9" }))).toBe("zh-CN");
    expect(requestLocale(new Headers({ cookie: "mg-locale=en", "accept-language": "zh" }))).toBe("en");
    expect(requestLocale(undefined)).toBe("en");
  });
});
