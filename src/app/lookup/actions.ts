"use server";

/**
 * The lookup form posts here (a server action: the value travels in the POST body, never in a
 * URL). An API ID goes to /lookup?id=…; a pasted key is hashed at once, never logged, and its API
 * ID shown the same way. Works without JavaScript.
 */
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { looksLikeApiKey } from "~/keys";
import { apiIdForSecret } from "~/server/api/lib/key-lookup";
import { hitLookupLimit } from "~/server/api/lib/rate-limit";
import { clientIpFrom } from "~/net";

export async function lookupAction(formData: FormData): Promise<void> {
  const value = String(formData.get("id") ?? "").trim();
  if (!looksLikeApiKey(value)) redirect(`/lookup?id=${encodeURIComponent(value)}`);
  const limit = await hitLookupLimit(clientIpFrom(await headers()));
  if (!limit.allowed) redirect(`/lookup?error=rate&retry=${limit.retryAfterSeconds}`);
  const apiId = await apiIdForSecret(value);
  redirect(apiId ? `/lookup?id=${apiId}` : "/lookup?error=unknown-key");
}
