import { join } from 'node:path';

/** The checkout's root: package.json, gen/, bin/ and deploy/ are found from here. */
export const REPO_ROOT: string = join(__dirname, '..');
