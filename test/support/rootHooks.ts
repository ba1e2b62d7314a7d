import { killAll } from './processRegistry';

/** mocha root hooks: after the whole run, nothing a test started may still run. */
export const mochaHooks = {
  afterAll(): void {
    killAll();
  },
};
