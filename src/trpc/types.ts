/**
 * The server's types for client code: what each procedure takes and returns, inferred from the
 * router (type-only: nothing of the server reaches the browser bundle).
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "~/server/api/root";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
