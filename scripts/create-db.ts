/** Creates the database named in DATABASE_URL if it does not exist (Prisma's migrate deploy won't). */
import pg from "pg";

const url = new URL(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/metergate");
const name = decodeURIComponent(url.pathname.slice(1));
const adminUrl = new URL(url);
adminUrl.pathname = "/postgres";
const client = new pg.Client({ connectionString: adminUrl.toString() });
await client.connect();
const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
if (!rowCount) {
  await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  console.error(`[db] created database ${name}`);
}
await client.end();
