// A real OpenID Connect provider (node-oidc-provider) for the identity tests.
//
// Usage: node server.mjs CONFIG.json [--exit-with-stdin]
//        (or OIDC_TEST_CONFIG=CONFIG.json node server.mjs)
//
// The config is JSON:
//   {
//     "port": 0,                                   // 0 (or absent): any free port
//     "issuer": "http://127.0.0.1:PORT",           // optional; derived from the port if absent
//     "clients": [{"client_id": "bot", "client_secret": "s3cret",
//                  "redirect_uris": ["http://127.0.0.1:8080/callback"],
//                  "token_endpoint_auth_method": "client_secret_basic"}],   // optional
//     "accounts": {"anna": {"serial_number": "PNOLV-010190-12345",
//                           "given_name": "Anna", "family_name": "Bērziņa",
//                           "personal_code": "010190-12345"}}
//   }
//
// Scopes and the claims they release (in the ID token, because conformIdTokenClaims is off,
// and at the userinfo endpoint):
//   openid               sub
//   profile              given_name, family_name, name, personal_code,
//                        name_identifier, subject_type   (what a broker passes on)
//   urn:lvrtc:fpeil:aa   given_name, family_name, serial_number, domain   (eParaksts-like)
//
// Interactions are the development ones: GET /interaction/:uid shows a login form (type the
// account id in `login`, any `password`), then a consent form; /interaction/:uid/abort ends
// the flow with error=access_denied. An account id not in `accounts` does not log in.
//
// Prints one line `ready {"issuer": ..., "port": ...}` on stdout once it accepts connections.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import process from 'node:process';

import Provider from 'oidc-provider';

const configPath = process.argv.slice(2).find((arg) => !arg.startsWith('--'))
  || process.env.OIDC_TEST_CONFIG;
if (!configPath) {
  process.stderr.write('usage: node server.mjs CONFIG.json (or set OIDC_TEST_CONFIG)\n');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const accounts = config.accounts || {};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(Number(config.port || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = config.issuer || `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: (config.clients || []).map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: client.token_endpoint_auth_method || 'client_secret_basic',
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      profile: [
        'given_name', 'family_name', 'name', 'personal_code', 'name_identifier', 'subject_type',
      ],
      'urn:lvrtc:fpeil:aa': ['given_name', 'family_name', 'serial_number', 'domain'],
    },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, userinfo: { enabled: true } },
    clientBasedCORS: () => false,
    async findAccount(ctx, sub) {
      if (!Object.hasOwn(accounts, sub)) return undefined;
      return {
        accountId: sub,
        async claims() {
          const claims = { sub, ...accounts[sub] };
          if (claims.name === undefined && (claims.given_name || claims.family_name)) {
            claims.name = [claims.given_name, claims.family_name].filter(Boolean).join(' ');
          }
          return claims;
        },
      };
    },
  });
  provider.on('server_error', (ctx, error) => {
    process.stderr.write(`server_error: ${error && error.stack}\n`);
  });
  server.on('request', provider.callback());
  process.stdout.write(`ready ${JSON.stringify({ issuer, port })}\n`);
});

// --exit-with-stdin: stop when stdin closes, i.e. when the test process that started this
// one dies without stopping it (so no provider outlives a killed test run).
if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
