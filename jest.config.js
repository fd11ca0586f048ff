/**
 * Unit, generative, integration, infrastructure, end-to-end and browser tests, compiled by swc (no
 * type check here: `tsc --noEmit` runs first in `npm test`). One jest project per folder, so
 * `npm run test:unit` (or `jest --selectProjects unit`) runs the unit tests alone, in seconds and
 * without local mode; the generated inputs and histories that run through the handlers in process
 * (fuzzing, the model-based histories: most of a minute) are `generative`.
 * The npm scripts put `--maxWorkers` after `--selectProjects` to end its list of names, so that
 * `npm run test:unit -- test/unit/domain/policy.test.ts` runs that file rather than read it as a project.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // jose, otpauth and @middy ship ESM only; let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|otpauth|@middy)/)'],
  setupFiles: ['<rootDir>/test/setup/polyfills.ts'],
};

const project = (name, extra = {}) => ({ ...shared, displayName: name, roots: [`<rootDir>/test/${name}`], ...extra });

module.exports = {
  projects: [project('unit'), project('generative'), project('integration'), project('infra'), project('e2e'), project('browser')],
  // The run's broker (test/support/shared-local-mode.ts): one DynamoDB Local for every local mode the tests
  // start, each with a table of its own, and one local mode per shared config for the e2e files. Both start
  // on the first request, so a run of unit tests alone starts neither.
  globalSetup: '<rootDir>/test/setup/local-modes.ts',
  globalTeardown: '<rootDir>/test/setup/local-modes-teardown.ts',
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  testTimeout: 60000,
  // Three workers on two cores: about a third of the time a worker waits on local mode (real timers, grant
  // windows, Chromium), and a third one fills the cores; on a loaded two-core machine the whole run took
  // 6 min 18 s with three against 8 min 30 s with two.
  maxWorkers: 3,
};
