/**
 * The URL the core checks a request against: the resource's own origin with the request's path and
 * query. Built by the core itself (handler.ts), so every runtime calling `mcp.fetch` — Node,
 * Express, Hono, Bun, Deno, Workers — gets it, and no adapter has to rebuild the Request. The runtime's idea of the URL is not ours to trust: behind a
 * TLS proxy it says http:, its host comes from a Host header of the client's choosing, and a request
 * target may carry an authority itself (absolute-form `http://evil.example/mcp`, RFC 9112 §3.2.2, or
 * `//evil.example/mcp`, which URL resolution reads as a host). DPoP htu (RFC 9449 §4.3) and the
 * routes are checked against this URL, so only the path and query are taken from the request.
 */
export function onResourceOrigin(origin: string, requestTarget: string): URL {
  const url = new URL(origin);
  const given = parsed(requestTarget, origin);
  if (!given) {
    // Unparseable (`http://[`): kept as a path no route matches, so it is a 404, never a 500.
    url.pathname = requestTarget;
    return url;
  }
  url.pathname = given.pathname;
  url.search = given.search;
  return url;
}

function parsed(target: string, base: string): URL | undefined {
  try {
    return new URL(target, base);
  } catch {
    return undefined;
  }
}
