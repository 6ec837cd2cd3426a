/**
 * `HOST:PORT` as URLs, portals and logs write it: an IPv6 address in brackets (its colons
 * would otherwise run into the port's). A host already bracketed is not bracketed again.
 */
export function hostAndPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
