/**
 * Security headers on everything but the relay (/v1 answers exactly what the provider would).
 * The per-request Content-Security-Policy of portal pages is set in src/proxy.ts.
 */
const SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  // frame-ancestors 'none' in the CSP, and this for browsers that predate it.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

/** @type {import("next").NextConfig} */
const config = {
  headers: async () => [{ source: "/((?!v1).*)", headers: SECURITY_HEADERS }],
  // The relay streams bodies itself; Next must not compress or buffer them.
  compress: false,
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ["ioredis", "pg", "@node-rs/argon2", "pino", "prom-client", "gpt-tokenizer"],
  experimental: {
    // Upstream request bodies may be large (images, long contexts); the relay enforces its own limit.
    proxyClientMaxBodySize: "64mb",
  },
};

export default config;
