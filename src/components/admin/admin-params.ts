/**
 * The admin tenant list's URL: ?q= (search), ?sort=, ?page= and ?range=. Pure (no "use client"):
 * the server page prefetches with what these read, so the browser's first query hits its cache.
 */
import {
  ADMIN_TENANT_PAGE_SIZE,
  ADMIN_TENANT_SEARCH_MAX,
  ADMIN_TENANT_SORT_KEYS,
  DEFAULT_ADMIN_TENANT_SORT,
  type AdminTenantSortKey,
} from "~/lib/admin-tenant-list";
import { DEFAULT_RANGE, type RangeInput } from "~/lib/range";
import { pageCodec, rangeCodec, readParam, sortCodec, type ParamCodec, type SortState } from "../url-params";

export type AdminSort = SortState<AdminTenantSortKey>;
export const DEFAULT_ADMIN_SORT: AdminSort = DEFAULT_ADMIN_TENANT_SORT;

export const adminSortCodec = sortCodec(ADMIN_TENANT_SORT_KEYS);
export const searchCodec: ParamCodec<string> = {
  parse: (raw) => raw.trim().slice(0, ADMIN_TENANT_SEARCH_MAX) || undefined,
  format: (v) => v,
};

export interface AdminTenantView {
  range: RangeInput;
  search: string;
  sort: AdminSort;
  page: number;
}

/** The admin.tenants input for a view: the page's prefetch and the client ask exactly the same. */
export function adminTenantsInput(view: AdminTenantView) {
  return { range: view.range, search: view.search, sort: view.sort, page: view.page, pageSize: ADMIN_TENANT_PAGE_SIZE };
}

/** The view a URL asks for (server pages read searchParams with this). */
export function readAdminTenantView(query: Record<string, string | string[] | undefined>): AdminTenantView {
  return {
    range: readParam<RangeInput>(query.range, rangeCodec, DEFAULT_RANGE),
    search: readParam<string>(query.q, searchCodec, ""),
    sort: readParam<AdminSort>(query.sort, adminSortCodec, DEFAULT_ADMIN_SORT),
    page: readParam<number>(query.page, pageCodec, 1),
  };
}
