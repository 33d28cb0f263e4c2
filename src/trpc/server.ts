/**
 * tRPC for React Server Components (server only): `trpc.x.queryOptions()` for prefetching into the
 * request's QueryClient, <HydrateClient> to hand the cache to client components, <Prefetched> to
 * stream one part of a page with its own queries, and `serverCaller()` to call procedures directly.
 */
import "server-only";
import { defaultShouldDehydrateQuery, dehydrate, hashKey, HydrationBoundary, type FetchQueryOptions, type QueryKey } from "@tanstack/react-query";
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

/** Any tRPC query's options (their data types differ; only the key and the fetch matter here). */
type AnyQueryOptions = Pick<FetchQueryOptions<unknown, unknown, unknown, QueryKey>, "queryKey">;

/**
 * Fetches these queries on the server, then renders `children` with them (and only them) handed to
 * the browser's cache. Inside a <Suspense> boundary the page's shell is sent at once and this part
 * follows, server-rendered with its numbers, when its queries are done: a slow query delays its
 * own section, not the first byte. Client components below read the queries with useQuery as usual.
 */
export async function Prefetched({ queries, children }: { queries: readonly AnyQueryOptions[]; children: ReactNode }) {
  const client = getQueryClient();
  await Promise.all(queries.map((q) => client.prefetchQuery(q as FetchQueryOptions)));
  const hashes = new Set(queries.map((q) => hashKey(q.queryKey)));
  // Failed queries are not handed over: the browser asks again and shows the error.
  const state = dehydrate(client, { shouldDehydrateQuery: (query) => hashes.has(query.queryHash) && defaultShouldDehydrateQuery(query) });
  return createElement(HydrationBoundary, { state }, children);
}
