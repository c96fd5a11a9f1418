// The image's HEALTHCHECK: exits 0 when the gateway's /health/ready answers 2xx, else 1.
// Reads the same HOST/PORT/TLS settings as the server, so it follows an admin's overrides.
const { PORT = '3000', HOST = '', TLS_CERT_FILE } = process.env;
const host = ['', '0.0.0.0', '::', '[::]'].includes(HOST) ? '127.0.0.1' : HOST.replace(/^\[|\]$/g, '');
const client = require(TLS_CERT_FILE ? 'node:https' : 'node:http');
// The certificate names the public domain, not the loopback address asked here.
const req = client.get({ host, port: Number(PORT), path: '/health/ready', timeout: 4000, rejectUnauthorized: false }, (res) => {
  process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
