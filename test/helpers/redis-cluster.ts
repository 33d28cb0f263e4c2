/** Starts a throw-away 3-node Redis Cluster on loopback ports (no replicas), for tests. */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Cluster } from "ioredis";

export interface LocalCluster {
  client: Cluster;
  stop(): Promise<void>;
}

export async function startLocalCluster(basePort = 7101): Promise<LocalCluster> {
  const ports = [basePort, basePort + 1, basePort + 2];
  const dir = mkdtempSync(path.join(tmpdir(), "mg-cluster-"));
  for (const port of ports) {
    spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { stdio: "ignore" });
    const r = spawnSync("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--daemonize", "yes", "--cluster-enabled", "yes",
      "--cluster-config-file", path.join(dir, `nodes-${port}.conf`), "--save", "", "--appendonly", "no", "--dir", dir,
    ]);
    if (r.status !== 0) throw new Error(`redis-server on ${port} failed: ${r.stderr.toString()}`);
  }
  for (const port of ports) {
    for (let i = 0; i < 50; i++) {
      if (spawnSync("redis-cli", ["-p", String(port), "ping"]).stdout.toString().includes("PONG")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const create = spawnSync("redis-cli", [
    "--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes",
  ]);
  if (create.status !== 0) throw new Error(`cluster create failed: ${create.stdout.toString()} ${create.stderr.toString()}`);
  for (let i = 0; i < 100; i++) {
    const info = spawnSync("redis-cli", ["-p", String(basePort), "cluster", "info"]).stdout.toString();
    if (info.includes("cluster_state:ok")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const client = new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })), { enableAutoPipelining: true });
  return {
    client,
    async stop() {
      client.disconnect();
      for (const port of ports) spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { stdio: "ignore" });
    },
  };
}
