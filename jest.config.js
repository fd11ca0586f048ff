/** Unit, integration, infrastructure and end-to-end tests, compiled by swc (no type check here: `tsc --noEmit` runs first in `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // jose, otpauth and @middy ship ESM only; let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|otpauth|@middy)/)'],
  setupFiles: ['<rootDir>/test/setup/polyfills.ts'],
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  testTimeout: 60000,
  maxWorkers: 2,
};
