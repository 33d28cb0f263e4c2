/**
 * The People and Session rollups, as common table expressions of the flush statement (flush.ts):
 * they read the `ins` CTE (the request-log rows that statement actually inserted), so a request is
 * added to them exactly when it is added to UsageHourly: once, in the same transaction.
 *
 * Cardinality is bounded per key (hostile or buggy clients can send a new id per request):
 *  - UsageUserDaily keeps PEOPLE_PER_KEY_DAY distinct end users per key and UTC day; users past
 *    that (the ones with fewest requests in the batch that crossed it) are added to the day's
 *    OTHER_BUCKET row. Requests that name no user go to the "" row, so a key's People rows always
 *    sum to its totals.
 *  - UsageSession keeps SESSIONS_PER_KEY_DAY new sessions per key and UTC day of their first
 *    request; later new ones are added to that day's "(other:YYYY-MM-DD)" row. Requests without a
 *    session are not in this table.
 * The cap is checked against what Postgres holds when the batch commits; one key's events are
 * flushed by one shard runner at a time, so it is exact in practice (a dead-letter replay running
 * at the same moment could let one batch past it).
 * Values come from the event (sanitized: ATTRIBUTION_ID_RULE), so nothing here can be refused.
 */
import { OTHER_BUCKET, PEOPLE_PER_KEY_DAY, SESSIONS_PER_KEY_DAY } from "./attribution";
import { METRIC_DEFS, METRICS } from "./types";

const q = (name: string) => `"${name}"`;

/** `, <CTE>, …` to splice after the statement's other CTEs; reads `ins`. */
export function attributionRollupCtes(): string {
  const metrics = METRICS.map(q).join(", ");
  const sumsAs = METRICS.map((m) => `${METRIC_DEFS[m].rollupSql} AS ${q(m)}`).join(", ");
  const resum = METRICS.map((m) => `sum(${q(m)})`).join(", ");
  const adds = (table: string) => METRICS.map((m) => `${q(m)} = "${table}".${q(m)} + EXCLUDED.${q(m)}`).join(",\n    ");
  const end = `max("createdAt" + "latencyMs" * interval '1 millisecond')`;
  const other = `'${OTHER_BUCKET}'`;
  return `
, people_in AS (
  SELECT "apiKeyId", "tenantId", date_trunc('day', "createdAt") AS day, COALESCE("endUserId", '') AS uid,
         min("createdAt") AS first, ${end} AS last, ${sumsAs}
  FROM ins GROUP BY 1, 2, 3, 4
), people_new AS (
  SELECT p."apiKeyId", p.day, p.uid, row_number() OVER (PARTITION BY p."apiKeyId", p.day ORDER BY p.requests DESC, p.uid) AS n
  FROM people_in p
  WHERE p.uid <> '' AND NOT EXISTS (
    SELECT 1 FROM "UsageUserDaily" u WHERE u."apiKeyId" = p."apiKeyId" AND u.day = p.day AND u."endUserId" = p.uid)
), people_kept AS (
  SELECT c."apiKeyId", c.day, (
    SELECT count(*) FROM "UsageUserDaily" u
    WHERE u."apiKeyId" = c."apiKeyId" AND u.day = c.day AND u."endUserId" NOT IN ('', ${other})) AS kept
  FROM (SELECT DISTINCT "apiKeyId", day FROM people_new) c
), people AS (
  INSERT INTO "UsageUserDaily" ("apiKeyId", "tenantId", day, "endUserId", "firstSeenAt", "lastSeenAt", ${metrics})
  SELECT "apiKeyId", "tenantId", day, bucket, min(first), max(last), ${resum}
  FROM (
    SELECT p.*, CASE WHEN n.n IS NULL OR k.kept + n.n <= ${PEOPLE_PER_KEY_DAY} THEN p.uid ELSE ${other} END AS bucket
    FROM people_in p
    LEFT JOIN people_new n ON n."apiKeyId" = p."apiKeyId" AND n.day = p.day AND n.uid = p.uid
    LEFT JOIN people_kept k ON k."apiKeyId" = p."apiKeyId" AND k.day = p.day
  ) b
  GROUP BY "apiKeyId", "tenantId", day, bucket
  ON CONFLICT ("apiKeyId", day, "endUserId") DO UPDATE SET
    "firstSeenAt" = LEAST("UsageUserDaily"."firstSeenAt", EXCLUDED."firstSeenAt"),
    "lastSeenAt" = GREATEST("UsageUserDaily"."lastSeenAt", EXCLUDED."lastSeenAt"),
    ${adds("UsageUserDaily")}
  RETURNING 1
), sessions_in AS (
  SELECT "apiKeyId", "tenantId", "sessionId" AS sid, min("endUserId") AS uid,
         min("createdAt") AS first, ${end} AS last, ${sumsAs}
  FROM ins WHERE "sessionId" IS NOT NULL GROUP BY 1, 2, 3
), sessions_new AS (
  SELECT s."apiKeyId", s.sid, date_trunc('day', s.first) AS day,
         row_number() OVER (PARTITION BY s."apiKeyId", date_trunc('day', s.first) ORDER BY s.first, s.sid) AS n
  FROM sessions_in s
  WHERE NOT EXISTS (SELECT 1 FROM "UsageSession" u WHERE u."apiKeyId" = s."apiKeyId" AND u."sessionId" = s.sid)
), sessions_kept AS (
  SELECT c."apiKeyId", c.day, (
    SELECT count(*) FROM "UsageSession" u
    WHERE u."apiKeyId" = c."apiKeyId" AND u."firstSeenAt" >= c.day AND u."firstSeenAt" < c.day + interval '1 day'
      AND u."sessionId" NOT LIKE '(other%') AS kept
  FROM (SELECT DISTINCT "apiKeyId", day FROM sessions_new) c
), sessions AS (
  INSERT INTO "UsageSession" ("apiKeyId", "tenantId", "sessionId", "endUserId", "firstSeenAt", "lastSeenAt", ${metrics})
  SELECT "apiKeyId", "tenantId", bucket, min(bucket_uid), min(first), max(last), ${resum}
  FROM (
    SELECT s.*,
      CASE WHEN n.n IS NULL OR k.kept + n.n <= ${SESSIONS_PER_KEY_DAY} THEN s.sid
           ELSE '(other:' || to_char(n.day, 'YYYY-MM-DD') || ')' END AS bucket,
      CASE WHEN n.n IS NULL OR k.kept + n.n <= ${SESSIONS_PER_KEY_DAY} THEN s.uid END AS bucket_uid
    FROM sessions_in s
    LEFT JOIN sessions_new n ON n."apiKeyId" = s."apiKeyId" AND n.sid = s.sid
    LEFT JOIN sessions_kept k ON k."apiKeyId" = n."apiKeyId" AND k.day = n.day
  ) b
  GROUP BY "apiKeyId", "tenantId", bucket
  ON CONFLICT ("apiKeyId", "sessionId") DO UPDATE SET
    "endUserId" = COALESCE("UsageSession"."endUserId", EXCLUDED."endUserId"),
    "firstSeenAt" = LEAST("UsageSession"."firstSeenAt", EXCLUDED."firstSeenAt"),
    "lastSeenAt" = GREATEST("UsageSession"."lastSeenAt", EXCLUDED."lastSeenAt"),
    ${adds("UsageSession")}
  RETURNING 1
)`;
}
