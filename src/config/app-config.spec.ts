import { ConfigError, loadConfig } from './app-config';

describe('dev token route', () => {
  it.each([
    [{}, true],
    [{ HOST: 'localhost' }, true],
    [{ HOST: '::1' }, true],
    [{ HOST: '0.0.0.0' }, false],
    [{ HOST: '192.168.1.20' }, false],
    [{ HOST: '0.0.0.0', DEV_TOKENS: '1' }, true],
    [{ HOST: '127.0.0.1', DEV_TOKENS: '0' }, false],
    [{ NODE_ENV: 'production', JWT_SECRET: '0123456789abcdef0123456789abcdef' }, false],
  ])('%j -> %s', (env, on) => {
    expect(loadConfig(env).devTokens).toBe(on);
  });
});

describe('loadConfig', () => {
  it('accepts a production secret without whitespace or #, and TURN settings together', () => {
    const c = loadConfig({ NODE_ENV: 'production', JWT_SECRET: '0123456789abcdef0123456789abcdef', TURN_URLS: 'turn:t.example:3478?transport=udp, turns:t.example:5349', TURN_SECRET: 'k' });
    expect(c.TURN_URLS).toEqual(['turn:t.example:3478?transport=udp', 'turns:t.example:5349']);
    expect(c.TURN_CREDENTIAL_TTL_SECONDS).toBe(3600);
  });

  it('boots with no environment at all, on embedded defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.jwtSecretGenerated).toBe(true);
    expect(c.JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(c.RING_TIMEOUT_SECONDS).toBe(30);
    expect(c.RECONNECT_GRACE_SECONDS).toBe(60);
    expect(c.ICE_SERVERS).toEqual([]);
    expect(c.MEDIASOUP_NUM_WORKERS).toBeGreaterThanOrEqual(1);
  });

  it('coerces numbers and parses ICE servers', () => {
    const c = loadConfig({ PORT: '4000', ICE_SERVERS: '[{"urls":"turn:turn.example.org","username":"u","credential":"p"}]' });
    expect(c.PORT).toBe(4000);
    expect(c.ICE_SERVERS[0].username).toBe('u');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '  ' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ ICE_SERVERS: '{nope' }, 'ICE_SERVERS'],
    [{ RTC_MIN_PORT: '50000', RTC_MAX_PORT: '40000' }, 'RTC_MIN_PORT'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'short' }, 'JWT_SECRET'],
    // The classic env-file accident: a same-line comment kept as part of the value.
    [{ NODE_ENV: 'production', JWT_SECRET: 'replace-me                       # HS256 secret for client tokens' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: '0123456789abcdef0123456789abcdef#x' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: '0123456789abcdef0123456789abcdef ' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: '0123456789abcdef0123456789abcdef', DEV_TOKENS: '1' }, 'DEV_TOKENS'],
    [{ TURN_URLS: 'turn:t.example:3478' }, 'TURN_SECRET'],
    [{ TURN_SECRET: 'x' }, 'TURN_SECRET'],
    [{ TURN_URLS: 'stun:s.example:3478', TURN_SECRET: 'x' }, 'TURN_URLS'],
    [{ TURN_URLS: 'turn:t.example', TURN_SECRET: 'x', TURN_CREDENTIAL_TTL_SECONDS: '30' }, 'TURN_CREDENTIAL_TTL_SECONDS'],
    [{ TLS_CERT_FILE: '/etc/cert.pem' }, 'TLS_CERT_FILE'],
    [{ JWT_JWKS_URL: 'ftp://idp.example/keys' }, 'JWT_JWKS_URL'],
    [{ JWT_ISSUER: 'https://idp.example' }, 'JWT_JWKS_URL'],
    [{ JWT_JWKS_URL: 'https://idp.example/keys', JWT_AUDIENCE: 'hearth' }, 'JWT_ISSUER'],
    [{ JWT_JWKS_URL: 'https://idp.example/keys', JWT_ISSUER: 'https://idp.example' }, 'JWT_AUDIENCE'],
    [{ NODE_ENV: 'production', JWT_SECRET: '0123456789abcdef0123456789abcdef', JWT_JWKS_URL: 'http://idp.example/keys', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, 'https'],
    [{ RTC_PROTOCOLS: 'sctp' }, 'RTC_PROTOCOLS'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});

describe('the env files', () => {
  const { readFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
  const { envSchema } = jest.requireActual<typeof import('./config.schema')>('./config.schema');
  const lines = readFileSync(`${__dirname}/../../config/.env.example`, 'utf8').split('\n');
  const settings = lines.filter((l) => l.trim() !== '' && !l.startsWith('#'));

  it.each(['config/.env.example', 'docker/.env.example'])('%s is plain KEY=value lines with comments on their own lines (env-file and systemd safe)', (file) => {
    const lines = readFileSync(`${__dirname}/../../${file}`, 'utf8').split('\n');
    for (const line of lines.filter((l) => l.trim() !== '' && !l.startsWith('#'))) expect(line).toMatch(/^[A-Z][A-Z0-9_]*=[^#\s]*$/);
  });

  it('documents every setting the server reads, and only those', () => {
    const documented = settings.map((l) => l.slice(0, l.indexOf('='))).sort();
    expect(documented).toEqual(Object.keys(envSchema.shape).sort());
  });

  it('loads as it stands', () => {
    const env = Object.fromEntries(settings.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(() => loadConfig(env)).not.toThrow();
  });
});

describe('abuse limits and privacy settings', () => {
  it('reads token buckets as points per duration', () => {
    const c = loadConfig({ RATE_CALL_SETUP: '5/30s', RATE_HTTP_IP: '100 / 2m', RATE_DEV_TOKEN: '1/1h' });
    expect(c.RATE_CALL_SETUP).toEqual({ points: 5, seconds: 30 });
    expect(c.RATE_HTTP_IP).toEqual({ points: 100, seconds: 120 });
    expect(c.RATE_DEV_TOKEN).toEqual({ points: 1, seconds: 3600 });
    expect(loadConfig({}).RATE_SOCKET_EVENTS).toEqual({ points: 300, seconds: 10 });
  });

  it.each(['10', '0/10s', '10/0s', '10/10d', 'ten/1s'])('refuses the bucket %j, naming the setting', (v) => {
    expect(() => loadConfig({ RATE_CALL_SETUP: v })).toThrow(/RATE_CALL_SETUP: must be points\/duration/);
  });

  it('serves /api/docs except in production, unless told', () => {
    const prod = { NODE_ENV: 'production', JWT_SECRET: '0123456789abcdef0123456789abcdef' };
    expect(loadConfig({}).apiDocs).toBe(true);
    expect(loadConfig(prod).apiDocs).toBe(false);
    expect(loadConfig({ ...prod, API_DOCS: '1' }).apiDocs).toBe(true);
    expect(loadConfig({ API_DOCS: '0' }).apiDocs).toBe(false);
  });

  it('takes CORS origins without paths, and a metrics port apart from PORT', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://portal.example.org/, http://localhost:5173' }).CORS_ORIGINS).toEqual(['https://portal.example.org', 'http://localhost:5173']);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://portal.example.org/app' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ METRICS_PORT: '3000' })).toThrow(/METRICS_PORT must differ from PORT/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
