/**
 * Unit, integration, infrastructure, end-to-end and browser tests, compiled by swc (no type check
 * here: `tsc --noEmit` runs first in `npm test`). One jest project per folder, so
 * `npm run test:unit` (or `jest --selectProjects unit`) runs the unit tests alone, without local mode.
 * The npm scripts put `--maxWorkers` after `--selectProjects` to end its list of names, so that
 * `npm run test:unit -- test/unit/domain/policy.test.ts` runs that file rather than read it as a project.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // jose and otpauth ship ESM only; let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|otpauth)/)'],
  setupFiles: ['<rootDir>/test/setup/polyfills.ts'],
};

const project = (name, extra = {}) => ({ ...shared, displayName: name, roots: [`<rootDir>/test/${name}`], ...extra });

// e2e files with the same config share one local mode per run (test/support/shared-local-mode.ts).
const localModes = { globalSetup: '<rootDir>/test/setup/local-modes.ts', globalTeardown: '<rootDir>/test/setup/local-modes-teardown.ts' };

module.exports = {
  projects: [project('unit'), project('integration'), project('infra'), project('e2e', localModes), project('browser')],
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  testTimeout: 60000,
  maxWorkers: 2,
};
