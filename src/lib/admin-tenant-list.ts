/**
 * The platform admin's tenant list query (search, sort, page) as the URL, the tRPC input and the
 * server read it: pure (zod only), so the page's prefetch, the client and the router share it.
 */
import { z } from "zod";
import { sortOrderSchema } from "~/lib/sort-order";

export const ADMIN_TENANT_SORT_KEYS = ["name", "keys", "requests", "cost"] as const;
export type AdminTenantSortKey = (typeof ADMIN_TENANT_SORT_KEYS)[number];
export const DEFAULT_ADMIN_TENANT_SORT = { key: "cost", dir: "desc" } as const satisfies { key: AdminTenantSortKey; dir: "asc" | "desc" };
export const ADMIN_TENANT_PAGE_SIZE = 25;
/** Longest search text: a tenant name, slug or id fits. */
export const ADMIN_TENANT_SEARCH_MAX = 100;

export const adminTenantListSchema = z.object({
  /** Part of a name or slug (any case), or a whole tenant id; "" lists every tenant. */
  search: z.string().trim().max(ADMIN_TENANT_SEARCH_MAX).default(""),
  sort: sortOrderSchema(ADMIN_TENANT_SORT_KEYS).default(DEFAULT_ADMIN_TENANT_SORT),
  /** 1-based; past the last page answers the last page. */
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(ADMIN_TENANT_PAGE_SIZE),
});
export type AdminTenantListInput = z.input<typeof adminTenantListSchema>;
