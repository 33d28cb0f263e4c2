/** Helpers of the admin / locale / per-model journeys: the operator CLI and raw relay calls. */
import { execFileSync } from "node:child_process";
import { E2E_BASE_URL, e2eServerEnv } from "./e2e-env";

/** `npm run cli -- …` with the app server's env (same database and Redis prefix); parsed JSON output. */
export function cli<T>(...args: string[]): T {
  const out = execFileSync("npm", ["run", "--silent", "cli", "--", ...args], {
    env: { ...process.env, ...e2eServerEnv },
    encoding: "utf8",
    timeout: 60_000,
  });
  return JSON.parse(out) as T;
}

export function flush(): void {
  cli("flush");
}

/** One Anthropic Messages call through the relay; returns the HTTP status. */
export async function anthropicCall(secret: string, model = "claude-sonnet-4-5"): Promise<number> {
  return (await anthropicRequest(secret, model)).status;
}

/** One Anthropic Messages call through the relay: its status and the `x-metergate-request-id` it got. */
export async function anthropicRequest(secret: string, model = "claude-sonnet-4-5"): Promise<{ status: number; requestId: string }> {
  const res = await fetch(`${E2E_BASE_URL}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": secret, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model, max_tokens: 64, messages: [{ role: "user", content: "Hi" }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, requestId: res.headers.get("x-metergate-request-id") ?? "" };
}

/** One OpenAI Chat Completions call through the relay; returns the HTTP status. */
export async function openaiCall(secret: string, model = "gpt-4o"): Promise<number> {
  const res = await fetch(`${E2E_BASE_URL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Hi" }] }),
  });
  await res.arrayBuffer();
  return res.status;
}
