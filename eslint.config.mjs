// Type-aware lint. The rules that matter most here: a floating promise in a control loop is
// a silent bug, and dependencies point one way (gen <- common <- services | cli) with no cycles.
// Formatting is prettier's (.prettierrc.json), not eslint's.
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'gen/', '.tools/', '.run/', 'test-output/', 'bin/', 'eslint.config.mjs', 'test/support/*.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // A cycle of imports is a knot in the architecture and a load-order trap: none allowed.
    // (The rule does not follow `import type`; keep type cycles out by hand.)
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // The dashboard's page modules run in the browser, outside the TypeScript project: ES
    // modules, so an undefined name (a missing import after a move) is caught here.
    files: ['control-plane/monitor/dashboard/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: {
        window: 'readonly',
        document: 'readonly',
        EventSource: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        location: 'readonly',
        getComputedStyle: 'readonly',
        uPlot: 'readonly',
      },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-undef': 'error' },
  },
  {
    // Tests hand generated client methods to the small `call` helper, which invokes them with
    // their client as `this`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/services/**', '**/cli/**', '**/control-plane/**'] }],
    },
  },
  {
    files: ['services/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/cli/**', '**/control-plane/**'] }] },
  },
  {
    // The control plane talks to nodes over gRPC and Consul only, never through their code.
    files: ['control-plane/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/services/**', '**/cli/**'] }] },
  },
  {
    // The CLI reaches nodes and the control plane over gRPC, Consul and the run directory.
    files: ['cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/services/**', '**/control-plane/**'] }] },
  },
);
