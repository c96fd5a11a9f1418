import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config';
import { RateLimits } from '../limits/rate-limits';
import type { DomainError } from '../common/domain-error';
import { originAllowed } from '../common/origins';

/** The client and admin pages load nothing but this server's own scripts, styles and connections. */
const STRICT_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  connectSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:', 'mediastream:'],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

/**
 * HTTP hardening: security headers (a strict CSP; HSTS when this server or its public URL is
 * https), CORS only for CORS_ORIGINS, a body limit, and no browser request from an origin that
 * is neither this server's nor allowed.
 */
export function harden(app: NestExpressApplication, config: AppConfig): void {
  const tls = Boolean(config.TLS_CERT_FILE) || (config.PUBLIC_URL?.startsWith('https://') ?? false);
  const headers = (csp: typeof STRICT_CSP) =>
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: csp },
      strictTransportSecurity: tls ? { maxAge: 15_552_000, includeSubDomains: true } : false,
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: 'no-referrer' },
    });
  // Swagger UI runs inline scripts: its own, looser policy, on its path only (off in production by default).
  const docs = headers({ ...STRICT_CSP, scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"] });
  const strict = headers(STRICT_CSP);
  app.use((req: Request, res: Response, next: NextFunction) => (req.path.startsWith('/api/docs') ? docs : strict)(req, res, next));
  if (config.TRUST_PROXY.length) app.set('trust proxy', config.TRUST_PROXY);
  // Every REST request counts against its address first (RATE_HTTP_IP), before any route runs.
  // The pages' own files and health checks do not: thirty people behind one clinic NAT opening
  // the client at once would otherwise be refused their scripts.
  const limits = app.get(RateLimits);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/api/')) return next();
    limits.consume('httpIp', req.ip ?? 'unknown').then(
      () => next(),
      (err: DomainError) => {
        res.setHeader('Retry-After', String(Math.ceil(Number(err.details?.retryAfterMs ?? 1000) / 1000)));
        res.status(429).json({ error: { ...(err.details ?? {}), code: err.code, message: err.message } });
      },
    );
  });
  app.enableCors({ origin: config.CORS_ORIGINS.length ? config.CORS_ORIGINS : false, credentials: false, maxAge: 600 });
  app.use((req: Request, res: Response, next: NextFunction) => {
    // A cross-site page must not drive this API with a visitor's browser (CORS only hides the answer).
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS' && !originAllowed(req.headers.origin, req.headers.host, config.CORS_ORIGINS)) {
      res.status(403).json({ error: { code: 'FORBIDDEN', message: 'origin not allowed' } });
      return;
    }
    next();
  });
  app.useBodyParser('json', { limit: config.HTTP_BODY_LIMIT_BYTES });
  // The body parser's own refusals, as typed errors like every other.
  app.use((err: { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (err?.type === 'entity.too.large') return void res.status(413).json({ error: { code: 'VALIDATION_FAILED', message: `request body larger than ${config.HTTP_BODY_LIMIT_BYTES} bytes` } });
    if (err?.type === 'entity.parse.failed') return void res.status(400).json({ error: { code: 'VALIDATION_FAILED', message: 'request body is not valid JSON' } });
    next(err);
  });
}
