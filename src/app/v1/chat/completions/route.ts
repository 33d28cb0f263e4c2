import { relayRoute } from "~/relay";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export const POST = relayRoute("openai-chat");
