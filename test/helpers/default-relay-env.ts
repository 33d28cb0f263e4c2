/**
 * Import this first in a test file that runs the process-wide default relay (createDefaultRelay):
 * it points the deployment-wide upstreams at a stub on DEFAULT_RELAY_STUB_PORT before src/infra/env.ts
 * reads the environment.
 */
export const DEFAULT_RELAY_STUB_PORT = 5153;
process.env.UPSTREAM_ANTHROPIC_BASE_URL = `http://127.0.0.1:${DEFAULT_RELAY_STUB_PORT}`;
process.env.UPSTREAM_ANTHROPIC_API_KEY = "sk-ant-upstream";
process.env.UPSTREAM_OPENAI_BASE_URL = `http://127.0.0.1:${DEFAULT_RELAY_STUB_PORT}`;
process.env.UPSTREAM_OPENAI_API_KEY = "sk-openai-upstream";
