import { DISPLAY_NAME_MAX, normalizeDisplayName } from './display-name';

describe('normalizeDisplayName', () => {
  it.each([
    ['  Sam   Lee ', 'Sam Lee'],
    ['Sam\u202Eeel', 'Sameel'], // a right-to-left override would reverse what others read
    ['Dr.\u200BHost', 'Dr.Host'], // zero-width space
    ['Ｈｏｓｔ', 'Host'], // fullwidth forms fold (NFKC)
    ['line\nbreak\ttab', 'line break tab'],
    ['\u0000\u0007', ''],
    ['Zoë', 'Zoë'],
    ['Dana\u00AD', 'Dana'], // soft hyphen
  ])('%j -> %j', (raw, clean) => {
    expect(normalizeDisplayName(raw)).toBe(clean);
  });

  it('keeps at most 80 characters, counting code points, not UTF-16 units', () => {
    const long = '😀'.repeat(100);
    expect([...normalizeDisplayName(long)].length).toBe(DISPLAY_NAME_MAX);
    expect(normalizeDisplayName('a'.repeat(200))).toHaveLength(DISPLAY_NAME_MAX);
  });
});
