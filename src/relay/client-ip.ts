/** The caller's IP: first hop of x-forwarded-for, then x-real-ip, then the socket's address. */
export function clientIpFrom(headers: Headers, socketAddress: string | null = null): string | null {
  const forwarded = headers.get("x-forwarded-for");
  if (forwarded) {
    const first = forwarded.split(",", 1)[0]!.trim();
    if (first) return first;
  }
  return headers.get("x-real-ip")?.trim() || socketAddress;
}
