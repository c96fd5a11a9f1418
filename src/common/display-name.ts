/** The longest display name kept (in characters, not bytes). */
export const DISPLAY_NAME_MAX = 80;

/**
 * A display name as others will see it: Unicode-normalised (NFKC, so look-alike compatibility
 * forms fold), without control or invisible format characters (bidi overrides, zero-width
 * joiners), whitespace collapsed, at most DISPLAY_NAME_MAX characters. Empty if nothing is left.
 */
export function normalizeDisplayName(raw: string): string {
  const cleaned = raw
    .normalize('NFKC')
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .replace(/[\p{Cf}\p{Co}\p{Cn}]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  return [...cleaned].slice(0, DISPLAY_NAME_MAX).join('').trim();
}
