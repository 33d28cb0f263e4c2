/**
 * Save-time validation of a tenant-supplied destination URL (zod, for tRPC inputs): the shape
 * rules and the host rules of checkEgressUrl under the env policy, each failure with its own
 * message. Base URLs lose their trailing slashes.
 */
import { z } from "zod";
import { checkEgressUrl } from "./policy";
import type { EgressUrlKind } from "~/infra/net/url";

export function egressUrlSchema(kind: EgressUrlKind, maxLength: number) {
  return z
    .string()
    .trim()
    .min(1, "Enter a URL")
    .max(maxLength, `At most ${maxLength} characters`)
    .superRefine((value, ctx) => {
      const checked = checkEgressUrl(value, kind);
      if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.message });
    })
    .transform((value) => (kind === "upstream" ? value.replace(/\/+$/, "") : value));
}
