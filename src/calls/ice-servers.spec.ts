import { iceServersFromSettings, mintTurnCredentials } from './ice-servers';

describe('TURN REST credentials', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);

  it('mints coturn use-auth-secret credentials: expiry:userId signed with HMAC-SHA1', () => {
    const { username, credential } = mintTurnCredentials('s3cret', 'alice', 3600, now);
    expect(username).toBe('1796216400:alice');
    // Known answer, from: printf '1796216400:alice' | openssl dgst -sha1 -hmac s3cret -binary | base64
    expect(credential).toBe('c35WqUsmGy8b1eFi2E0k8k1KJfE=');
  });

  it('puts the minted entry first, then the static ones', () => {
    const list = iceServersFromSettings({ TURN_URLS: ['turn:t.example:3478', 'turns:t.example:5349'], TURN_SECRET: 'k', TURN_CREDENTIAL_TTL_SECONDS: 60, ICE_SERVERS: [{ urls: 'stun:s.example' }] }, 'bob', now);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ urls: ['turn:t.example:3478', 'turns:t.example:5349'], username: `${now / 1000 + 60}:bob` });
    expect(list[1]).toEqual({ urls: 'stun:s.example' });
  });

  it('mints nothing without TURN settings', () => {
    expect(iceServersFromSettings({ TURN_URLS: [], TURN_CREDENTIAL_TTL_SECONDS: 60, ICE_SERVERS: [] }, 'bob', now)).toEqual([]);
  });
});
