import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "~/generated/prisma/client";
import { env } from "~/infra/env";

function createClient(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
}

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient; prismaReplica?: PrismaClient };

/** Primary database: all writes and anything that must read its own writes. */
export const db: PrismaClient = (globalForPrisma.prisma ??= createClient(env.DATABASE_URL));

/** Read replica for dashboards and reports when configured; otherwise the primary. */
export const dbRead: PrismaClient = (globalForPrisma.prismaReplica ??= env.DATABASE_REPLICA_URL
  ? createClient(env.DATABASE_REPLICA_URL)
  : db);
