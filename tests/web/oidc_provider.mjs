// A real OpenID provider for the console's tests: panva's oidc-provider on one port.
//
// Usage: node oidc_provider.mjs CONFIG.json
// CONFIG: {"port", "issuer", "client_id", "client_secret", "redirect_uri",
//          "users": {"login": {"email", "email_verified", "amr": [...]}}}
// It prints "ready <issuer>" once listening. The sign-in form takes a user's login and
// any password; the user's "amr" goes into the ID token (a council's directory saying
// "mfa"). Consent is given at once (a first-party client, as a council registers it).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const users = config.users;

const provider = new Provider(config.issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  cookies: { keys: ['test-only-cookie-key'] },
  claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: false, // the e-mail in the ID token, as Entra ID sends it
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const user = users[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: user.email, email_verified: user.email_verified };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const existing = session.grantIdFor(client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email');
    await grant.save();
    return grant;
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function body(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>Test directory</title></head><body>
<main><h1>Test directory sign-in</h1>
<form method="post" action="/interaction/${escape(uid)}">
<label for="login">Username</label><input id="login" name="login" autocomplete="off">
<label for="password">Password</label><input id="password" name="password" type="password">
<button type="submit" name="go" value="login">Sign in to the directory</button>
<button type="submit" name="go" value="abort">Cancel</button>
</form></main></body></html>`);
    return;
  }
  const form = await body(req);
  if (form.get('go') === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const login = form.get('login') || '';
  const user = users[login];
  if (!user || details.prompt.name !== 'login') {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('unknown user');
    return;
  }
  await provider.interactionFinished(req, res, {
    login: { accountId: login, amr: user.amr || ['pwd'] },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([\w-]+)$/.exec(req.url.split('?')[0]);
  if (match) {
    interaction(req, res, match[1]).catch((err) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
    return;
  }
  callback(req, res);
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${config.issuer}\n`);
});
