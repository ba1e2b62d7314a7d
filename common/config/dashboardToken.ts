import { randomBytes } from 'node:crypto';

/** A dashboard login token made when dashboard.token is not configured: 256 random bits, URL-safe. */
export function generateDashboardToken(): string {
  return randomBytes(32).toString('base64url');
}
