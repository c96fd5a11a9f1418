// Medium and e2e tests start real servers, workers and browsers: allow them time.
// (Per-project `testTimeout` is not honoured by Jest, hence this file.)
jest.setTimeout(Number(process.env.E2E_TEST_TIMEOUT_MS ?? 120_000));
