import type { ServerResponse } from 'node:http';

/** Where the token comes from, in every refusal: the operator's next step. */
export const TOKEN_SOURCE =
  "the token is the cluster config's dashboard.token (or SHOAL_DASHBOARD_TOKEN); without one, shoal-monitor generates a token at start and prints its login URL on its standard error (shoal up prints it too)";

/**
 * Answers with the login form (it posts the token to /login), `problem` above it when a login
 * failed. No script and no inline style: the page's policy allows neither.
 */
export function loginPage(res: ServerResponse, status: number, problem = ''): void {
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>shoal dashboard: log in</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/assets/dashboard.css" />
  </head>
  <body>
    <main class="login">
      <h1>shoal</h1>
      <form method="post" action="/login">
        <label for="token">Login token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <button type="submit">Log in</button>
      </form>
      <p id="login-problem" class="login-problem" role="alert">${problem}</p>
      <p class="login-hint">The dashboard is read-only; ${TOKEN_SOURCE}.</p>
    </main>
  </body>
</html>
`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(res.req.method === 'HEAD' ? undefined : html);
}
