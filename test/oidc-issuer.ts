// A local OpenID Connect provider for tests: its own signing key, a discovery document and a
// JWKS endpoint on loopback, and a signer for tokens good and bad.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface TestIssuer {
  /** http://127.0.0.1:<port>, as tokens name it in `iss`. */
  issuer: string;
  audience: string;
  /**
   * A signed token for `claims` (sub, email, groups, …), valid for 5 minutes; `options` make
   * it wrong in one way: another issuer or audience, an expiry in the past, another key.
   */
  sign(claims: JWTPayload, options?: { issuer?: string; audience?: string; expiresAt?: number; key?: CryptoKey }): Promise<string>;
  /** A key pair the provider does not publish. */
  foreignKey(): Promise<CryptoKey>;
  close(): Promise<void>;
}

const KID = 'test-key-1';

export async function startIssuer(audience = 'cutover-api'): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = http.createServer((req, res) => {
    const body =
      req.url === '/.well-known/openid-configuration'
        ? { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }
        : req.url === '/jwks'
          ? { keys: [jwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    audience,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? audience)
        .setIssuedAt()
        .setExpirationTime(options.expiresAt ?? '5m')
        .sign(options.key ?? privateKey),
    foreignKey: async () => (await generateKeyPair('RS256')).privateKey,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
