/**
 * The line the monitor prints once at start when it requires a login: the login URL with a
 * generated token (as Jupyter prints its `?token=` URL), or where to log in with the configured
 * one, which is never printed. On a wildcard address the URL names localhost, which the
 * certificates of `shoal certs create` always name.
 */
export function loginLine(host: string, port: number, https: boolean, login: { token: string; generated: boolean }): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const origin = `${https ? 'https' : 'http'}://${wildcard ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
  const elsewhere = !wildcard ? '' : `; from another machine, an address of this one${https ? ' that its certificate names' : ''}`;
  if (!login.generated)
    return `shoal-monitor: the dashboard requires the token of dashboard.token (or SHOAL_DASHBOARD_TOKEN): log in at ${origin}/login${elsewhere}`;
  return `shoal-monitor: log in to the dashboard at ${origin}/?token=${encodeURIComponent(login.token)} (a token generated for this run; dashboard.token or SHOAL_DASHBOARD_TOKEN sets one that lasts${elsewhere})`;
}
