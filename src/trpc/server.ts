/**
 * tRPC for React Server Components (server only): `trpc.x.queryOptions()` for prefetching into the
 * request's QueryClient, <HydrateClient> to hand the cache to client components, and `serverCaller()`
 * to call procedures directly.
 */
import "server-only";
import { dehydrate, HydrationBoundary, type FetchQueryOptions, type QueryKey } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, createElement, type ReactNode } from "react";
import { appRouter, createCaller } from "~/server/api/root";
import { createTRPCContext, type TRPCContext } from "~/server/api/trpc";
import { getServerAuthSession } from "~/server/auth";
import { makeQueryClient } from "./query-client";

const createContext = cache(async (): Promise<TRPCContext> => {
  const requestHeaders = new Headers(await headers());
  requestHeaders.set("x-trpc-source", "rsc");
  return createTRPCContext({ headers: requestHeaders, session: await getServerAuthSession() });
});

export const getQueryClient = cache(makeQueryClient);

export const trpc = createTRPCOptionsProxy({ ctx: createContext, router: appRouter, queryClient: getQueryClient });

export async function serverCaller() {
  return createCaller(await createContext());
}

export function HydrateClient({ children }: { children: ReactNode }) {
  return createElement(HydrationBoundary, { state: dehydrate(getQueryClient()) }, children);
}

/**
 * Runs a query on the server into the request's cache; <HydrateClient> hands it to the browser.
 * Await it (or several with Promise.all) for fully server-rendered data; don't await to stream it.
 */
export function prefetch<TData, TError, TKey extends QueryKey>(
  queryOptions: FetchQueryOptions<TData, TError, TData, TKey>,
): Promise<void> {
  return getQueryClient().prefetchQuery(queryOptions);
}
