import { originAllowed } from './origins';

describe('originAllowed', () => {
  it.each([
    [undefined, 'sfu.example.org', [], true],
    ['https://sfu.example.org', 'sfu.example.org', [], true],
    ['http://localhost:3000', 'localhost:3000', [], true],
    ['https://evil.example', 'sfu.example.org', [], false],
    ['https://sfu.example.org.evil.example', 'sfu.example.org', [], false],
    ['https://portal.example.org', 'sfu.example.org', ['https://portal.example.org'], true],
    ['http://localhost:5173', 'localhost:3000', [], false],
    ['null', 'sfu.example.org', [], false],
  ] as const)('%s on host %s (allow %j) -> %s', (origin, host, allow, ok) => {
    expect(originAllowed(origin, host, allow)).toBe(ok);
  });
});
