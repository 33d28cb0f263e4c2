/**
 * Reads the client's JSON body with a hard size limit, checked while reading (never buffering
 * more than the limit), and validates the fields the relay relies on. The model name must follow
 * the ledger's rule (~/ledger/sanitize): it becomes part of rollup keys, so a name Postgres cannot
 * index or store is refused here with a 400, before admission and before the upstream.
 */
import { z } from "zod";
import { isValidModelName, MODEL_NAME_RULE } from "~/ledger/sanitize";
import { RelayError } from "./errors";
import type { HeaderReader } from "./upstream";
import type { JsonObject } from "./usage";

export const relayRequestSchema = z.looseObject({
  model: z
    .string({ error: "model: required string" })
    .min(1, "model: must not be empty")
    .refine(isValidModelName, `model: must be ${MODEL_NAME_RULE}`),
  stream: z.boolean({ error: "stream: must be a boolean" }).optional(),
});

export interface ClientBody {
  raw: Uint8Array;
  json: JsonObject;
  model: string;
  stream: boolean;
}

/**
 * What the relay reads of a client request. A web Request (route handlers) is one as it is; the
 * relay tier passes a node view (src/relay/node-server.ts) whose `readBody` reads the socket
 * directly instead of through a web stream.
 */
export interface RelayRequest {
  method: string;
  url: string;
  headers: HeaderReader;
  signal: AbortSignal;
  body: ReadableStream<Uint8Array> | null;
  /** The whole body, refused past maxBytes while reading (then `body` is not used). */
  readBody?(maxBytes: number): Promise<Uint8Array>;
  /** The relay tier pipes relayed bodies to its socket itself (relay-stream pipedAnswerOf): its Responses need no web body or Headers. */
  pipesToSocket?: boolean;
  /** The relay tier's client connection: the relay listens here instead of on `signal` (cheaper; see node-server.ts). */
  client?: ClientConnection;
}

/** Tells when the client went away, as an AbortSignal would. */
export interface ClientConnection {
  readonly gone: boolean;
  /** Called once when the client goes away; never for a client already gone when it was added (as an abort listener). */
  onGone(listener: () => void): void;
}

/** Calls `listener` when the request's client goes away (its connection's hook, else its signal). */
export function onClientGone(request: RelayRequest, listener: () => void): void {
  if (request.client) request.client.onGone(listener);
  else request.signal.addEventListener("abort", listener, { once: true });
}

/** Whether the request's client has gone away. */
export function clientIsGone(request: RelayRequest): boolean {
  return request.client ? request.client.gone : request.signal.aborted;
}

function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

export async function readLimitedBody(request: RelayRequest, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (request.readBody) return request.readBody(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export function tooLarge(maxBytes: number): RelayError {
  return new RelayError("request_too_large", `Request body is larger than the limit of ${maxBytes} bytes.`);
}

export async function readClientBody(request: RelayRequest, maxBytes: number): Promise<ClientBody> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    throw new RelayError("unsupported_media_type", "Content-Type must be application/json.");
  }
  const raw = await readLimitedBody(request, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8"));
  } catch {
    throw new RelayError("invalid_request", "The request body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new RelayError("invalid_request", "The request body must be a JSON object.");
  }
  const result = relayRequestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = issue?.path.join(".") || null;
    throw new RelayError("invalid_request", issue?.message ?? "Invalid request body.", param);
  }
  return { raw, json: parsed as JsonObject, model: result.data.model, stream: result.data.stream ?? false };
}
