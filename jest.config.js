// Three tiers (see README "Tests"): unit specs beside the code, medium tests on real
// PostgreSQL/Redis/mediasoup, e2e with real socket.io clients and real Chromium.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/quiet-logs.ts'],
};
const slow = { ...common, setupFilesAfterEnv: ['<rootDir>/test/support/long-timeout.ts'] };
module.exports = {
  // A test that leaves a handle open must not hang CI for an hour; leaks show as warnings.
  forceExit: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...slow, displayName: 'medium', testMatch: ['<rootDir>/test/medium/**/*.test.ts'] },
    { ...slow, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
