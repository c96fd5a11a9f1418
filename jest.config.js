// Three tiers (see README "Tests"): unit specs beside the code, medium tests on real
// PostgreSQL/Redis/mediasoup, e2e with real socket.io clients and real Chromium.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
// jose ships ES modules only; the server (CommonJS on Node >= 22) requires it natively, but Jest's
// module loader cannot, so Jest compiles that one package to CommonJS.
const esmOnly = ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest, '/node_modules/jose/.+\\.js$': esmOnly },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/quiet-logs.ts'],
};
const slow = { ...common, setupFilesAfterEnv: ['<rootDir>/test/support/long-timeout.ts'] };
// The deployment test builds the container image (minutes, a worker compile when cold): only
// `npm run test:deploy` (jest --selectProjects deploy) defines and so runs it, never `npm test`.
const deploySelected = process.argv.some((a, i, all) => a === '--selectProjects=deploy' || (a === 'deploy' && all[i - 1] === '--selectProjects'));
module.exports = {
  // A test that leaves a handle open must not hang CI for an hour; leaks show as warnings.
  forceExit: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...slow, displayName: 'medium', testMatch: ['<rootDir>/test/medium/**/*.test.ts'] },
    { ...slow, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    ...(deploySelected ? [{ ...slow, displayName: 'deploy', testMatch: ['<rootDir>/test/deploy/**/*.test.ts'] }] : []),
  ],
};
