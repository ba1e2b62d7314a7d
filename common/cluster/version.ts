import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** shoal's version, from package.json. */
export const SHOAL_VERSION: string = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** Repository root (where package.json, gen/ and deploy/ live). */
export const REPO_ROOT: string = join(__dirname, '..', '..');
