import { relayRoute } from "~/server/relay/default";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

// Every method goes to the relay, which answers 405 (with allow), OPTIONS and WebSocket upgrades the
// same way on the bare-node relay tier; Next's own 405 and OPTIONS would differ from it.
const handler = relayRoute("openai-responses");
export { handler as GET, handler as HEAD, handler as POST, handler as PUT, handler as PATCH, handler as DELETE, handler as OPTIONS };
