/** @type {import("next").NextConfig} */
const config = {
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
