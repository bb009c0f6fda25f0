// The official T3N SDK (@terminal3/t3n-sdk, pinned in package.json) against
// a real `t3nd dev`: handshake, Ethereum (SIWE) login, encrypted execute of
// the example counter, usage, audit, add-authenticator and its conflict,
// cookie resume, replay and cross-session refusals, expired sessions.
//   node --test tests/compat/sdk.test.mjs     (T3ND=path/to/t3nd, CONTRACTS=dir)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { generateKeyPairSync, sign as cryptoSign, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  T3nClient, loadWasmComponent, metamask_sign, createEthAuthInput, createEmailOtpAuthInput, createOidcAuthInput, clearKeyCache,
  OtpRateLimitedError,
} from '@terminal3/t3n-sdk';
import * as wasmSession from '@terminal3/t3n-sdk/wasm/generated/session.js';
import { ethers } from 'ethers';
import { startSmtpSink } from './smtp_sink.mjs';

const T3ND = process.env.T3ND;
const CONTRACTS = process.env.CONTRACTS;
let node, url, dir, wasm, smtp, oidc;

// An OpenID Connect issuer stand-in on 127.0.0.1: its own RSA and P-256
// signing keys, a JWKS endpoint over HTTPS with a certificate made here by
// the openssl tool (the node is told to trust it with ca_file), and ID
// tokens minted for a nonce the way Google's would be.
function startOidcIssuer() {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'oidc-key.pem'), '-out', join(dir, 'oidc-cert.pem')], { stdio: 'ignore' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = { keys: [
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'compat-rsa', alg: 'RS256', use: 'sig' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'compat-ec', alg: 'ES256', use: 'sig' },
  ] };
  let fetches = 0;
  const server = createHttpsServer({ key: readFileSync(join(dir, 'oidc-key.pem')), cert: readFileSync(join(dir, 'oidc-cert.pem')) },
    (req, res) => {
      if (req.url !== '/jwks') { res.writeHead(404).end(); return; }
      fetches++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwks));
    });
  const b64u = (x) => Buffer.from(x).toString('base64url');
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const issuer = `https://127.0.0.1:${server.address().port}`;
    resolve({
      issuer,
      clientId: 't3n-compat',
      caFile: join(dir, 'oidc-cert.pem'),
      fetches: () => fetches,
      close: () => server.close(),
      token: (claims, alg = 'RS256') => {
        const now = Math.floor(Date.now() / 1000);
        const header = b64u(JSON.stringify({ alg, typ: 'JWT', kid: alg === 'RS256' ? 'compat-rsa' : 'compat-ec' }));
        const body = b64u(JSON.stringify({ iss: issuer, aud: 't3n-compat', iat: now, exp: now + 600, ...claims }));
        const data = Buffer.from(header + '.' + body);
        const sig = alg === 'RS256' ? cryptoSign('sha256', data, rsa.privateKey)
          : cryptoSign('sha256', data, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
        return header + '.' + body + '.' + b64u(sig);
      },
    });
  }));
}

// Starts t3nd dev on a free port; resolves with its URL from --ready-fd.
function startNode(extra = [], name = 'data') {
  return new Promise((resolve, reject) => {
    const child = spawn(T3ND, ['--ready-fd', '3', 'dev', '--port', '0', '--data', join(dir, name),
      '--contracts', CONTRACTS, ...extra], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdio[3].on('data', (d) => { out += d; });
    child.stdio[3].on('end', () => (out.trim() ? resolve({ child, url: out.trim() }) : reject(new Error('t3nd did not start: ' + err))));
    child.on('error', reject);
  });
}

function client(wallet, extra = {}) {
  const addr = wallet.address.toLowerCase();
  return new T3nClient({ baseUrl: url, wasmComponent: wasm, handlers: { EthSign: metamask_sign(addr, undefined, wallet.privateKey) }, ...extra });
}

async function loggedIn(wallet) {
  const c = client(wallet);
  await c.handshake();
  const did = await c.authenticate(createEthAuthInput(wallet.address.toLowerCase()));
  return { c, did: did.toString() };
}

// Raw JSON-RPC over the session channel, for what the SDK never sends.
async function rawRpc(sessionId, method, params) {
  const res = await fetch(url + '/api/rpc', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(sessionId ? { 'Session-Id': sessionId } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: crypto.randomUUID(), method, params }),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

before(async () => {
  assert.ok(T3ND && CONTRACTS, 'set T3ND and CONTRACTS');
  dir = mkdtempSync(join(tmpdir(), 't3n-compat-'));
  smtp = await startSmtpSink();
  oidc = await startOidcIssuer();
  ({ child: node, url } = await startNode(['--smtp-url', `smtp://127.0.0.1:${smtp.port}`, '--smtp-from', 'codes@t3n.test',
    '--cors-origin', 'http://app.test',
    '--oidc', `name=google,issuer=${oidc.issuer},jwks_url=${oidc.issuer}/jwks,client_id=${oidc.clientId},ca_file=${oidc.caFile}`]));
  wasm = await loadWasmComponent();
});

after(() => {
  node?.kill('SIGTERM');
  smtp?.close();
  oidc?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('/status has the SDK shape and a bound attestation message', async () => {
  const st = await (await fetch(url + '/status')).json();
  assert.equal(st.status, 'Ready');
  assert.equal(Buffer.from(st.encaps_key, 'base64').length, 1184);
  assert.match(st.cookie_signer, /^0x[0-9a-f]{40}$/);
  assert.equal(st.metering, 'on');
  const att = st.dkg_attestation;
  assert.equal(att.simulated, true);
  const msg = Buffer.from(att.attestation_msg, 'base64');
  // attestation_msg starts with the encaps key followed by the sorted peer ids.
  const prefix = Buffer.concat([Buffer.from(st.encaps_key, 'base64'), Buffer.from(att.peer_ids.join(''))]);
  assert.ok(msg.subarray(0, prefix.length).equals(prefix));
  assert.equal(msg.length, prefix.length + 64);
  assert.deepEqual(Object.keys(att.quotes), att.peer_ids);
  const healthz = await fetch(url + '/healthz');
  assert.equal(healthz.status, 200);
});

test('CORS headers only for the configured origin; Session-Id is exposed to it', async () => {
  const pre = await fetch(url + '/api/rpc', { method: 'OPTIONS', headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'http://app.test');
  assert.match(pre.headers.get('access-control-allow-headers'), /Session-Id/);
  const evil = await fetch(url + '/api/rpc', { method: 'OPTIONS', headers: { Origin: 'https://evil.test' } });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  const ok = await fetch(url + '/status', { headers: { Origin: 'http://app.test' } });
  assert.equal(ok.headers.get('access-control-expose-headers'), 'Session-Id');
  assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
  const other = await fetch(url + '/status', { headers: { Origin: 'https://evil.test' } });
  assert.equal(other.status, 200);
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

test('handshake, Ethereum login and execute of the counter; state visible to the next call', async () => {
  const wallet = ethers.Wallet.createRandom();
  const { c, did } = await loggedIn(wallet);
  assert.match(did, /^did:t3n:[0-9a-f]{40}$/);
  const first = JSON.parse(await c.execute({ script_name: 'counter', function_name: 'increment', input: 5 }));
  const second = await c.executeAndDecode({ script_name: 'counter', script_version: '1.0.0', function_name: 'increment', input: 2 });
  assert.equal(second, first + 2);
  const current = await (await fetch(url + '/api/contracts/current?name=counter')).json();
  assert.equal(current.current_version, '1.0.0');
  assert.equal((await fetch(url + '/api/contracts/current?name=no-such')).status, 404);
});

test('e-mail OTP login: the code arrives over SMTP; a second request is rate limited', async () => {
  const email = `Ada.${Date.now()}@Example.com`;
  const c = client(ethers.Wallet.createRandom());
  await c.handshake();
  let mail;
  const did = (await c.authenticate(createEmailOtpAuthInput({
    email,
    getOtpCode: async () => {
      mail = await smtp.next();
      return mail.match(/code is (\d{6})/)[1];
    },
  }))).toString();
  assert.match(did, /^did:t3n:[0-9a-f]{40}$/);
  assert.match(mail, new RegExp('^To: ' + email.toLowerCase(), 'm'));
  assert.match(mail, /^From: codes@t3n.test/m);
  assert.equal(typeof (await c.executeAndDecode({ script_name: 'counter', function_name: 'increment', input: 1 })), 'number');
  // Within the cooldown the SDK gets its typed OtpRateLimited error.
  const again = client(ethers.Wallet.createRandom());
  await again.handshake();
  await assert.rejects(again.authenticate(createEmailOtpAuthInput({ email, getOtpCode: async () => '000000' })),
    (e) => e instanceof OtpRateLimitedError && e.reason === 'cooldown_active' && e.retryAfterSecs > 0);
  // A wrong code is refused (another address, its own fresh code).
  const wrong = client(ethers.Wallet.createRandom());
  await wrong.handshake();
  await assert.rejects(wrong.authenticate(createEmailOtpAuthInput({
    email: `eve.${Date.now()}@example.com`,
    getOtpCode: async () => {
      const m = await smtp.next();
      const code = m.match(/code is (\d{6})/)[1];
      return code === '123456' ? '654321' : '123456';
    },
  })), /wrong code/);
});

test('OIDC login against a local issuer; a verified e-mail is the same DID as its OTP login; bad tokens are refused', async () => {
  const email = `grace.${Date.now()}@example.com`;
  const sub = 'sub-' + Date.now();
  const c = client(ethers.Wallet.createRandom());
  await c.handshake();
  let seenNonce;
  const did = (await c.authenticate(createOidcAuthInput({
    provider: 'google',
    getIdToken: async (nonce) => {
      seenNonce = nonce;
      return oidc.token({ sub, nonce, email, email_verified: true });
    },
  }))).toString();
  assert.match(did, /^did:t3n:[0-9a-f]{40}$/);
  assert.ok(seenNonce && seenNonce.length >= 32);
  assert.ok(oidc.fetches() >= 1, 'the node fetched the JWKS over HTTPS');
  assert.equal(typeof (await c.executeAndDecode({ script_name: 'counter', function_name: 'increment', input: 1 })), 'number');
  // The same subject again (ES256 this time) is the same DID.
  const again = client(ethers.Wallet.createRandom());
  await again.handshake();
  const did2 = (await again.authenticate(createOidcAuthInput({
    provider: 'google', getIdToken: async (nonce) => oidc.token({ sub, nonce }, 'ES256') }))).toString();
  assert.equal(did2, did);
  // An e-mail OTP login proving the same address lands on the same DID.
  const otp = client(ethers.Wallet.createRandom());
  await otp.handshake();
  const did3 = (await otp.authenticate(createEmailOtpAuthInput({
    email, getOtpCode: async () => (await smtp.next()).match(/code is (\d{6})/)[1] }))).toString();
  assert.equal(did3, did);
  // Another session's nonce, another audience, an unknown provider: refused.
  const bad = async (getIdToken, provider = 'google') => {
    const x = client(ethers.Wallet.createRandom());
    await x.handshake();
    return x.authenticate(createOidcAuthInput({ provider, getIdToken }));
  };
  await assert.rejects(bad(async () => oidc.token({ sub, nonce: seenNonce })), /nonce/);
  await assert.rejects(bad(async (nonce) => oidc.token({ sub, nonce, aud: 'someone-else' })), /audience/);
  await assert.rejects(bad(async (nonce) => oidc.token({ sub, nonce, exp: 1000 })), /expired/);
  await assert.rejects(bad(async (nonce) => oidc.token({ sub, nonce }), 'myspace'), /unknown OIDC provider/);
});

// CIDv1, raw codec, sha2-256, base32 lower-case: what the node's CAS names a blob.
function rawCid(bytes) {
  const digest = createHash('sha256').update(bytes).digest();
  const data = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), digest]);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0, value = 0, out = 'b';
  for (const b of data) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

test('executeWithBlob: the file reaches the contract\'s stash slot and the CAS; without one, or twice, it is refused', async () => {
  const { c } = await loggedIn(ethers.Wallet.createRandom());
  const bytes = new TextEncoder().encode('a file for the stash ' + Date.now());
  const kept = JSON.parse(await c.executeWithBlob({ script_name: 'attachments', function_name: 'keep' },
    new Blob([bytes], { type: 'text/plain' })));
  assert.equal(kept.cid, rawCid(bytes));
  assert.equal(kept.size, bytes.length);
  assert.equal(kept['media-type'], 'application/octet-stream');  // the SDK labels every blob part so
  const stored = readFileSync(join(dir, 'data', 'cas', kept.cid.slice(-2), kept.cid));
  assert.deepEqual(new Uint8Array(stored), bytes);
  await assert.rejects(c.execute({ script_name: 'attachments', function_name: 'keep' }), /no-blob-attached/);
  const twice = JSON.parse(await c.executeWithBlob({ script_name: 'attachments', function_name: 'keep-twice' }, new Blob([bytes])));
  assert.equal(twice, 'already-consumed');
});

test('getUsage answers the honest zero balance; getAuditEvents the host-stamped batch of each dispatch, committed or not', async () => {
  const { c, did } = await loggedIn(ethers.Wallet.createRandom());
  const usage = await c.getUsage({ limit: 10 });
  assert.equal(usage.balance.available, 0);
  assert.deepEqual(usage.entries, []);
  assert.deepEqual((await c.getAuditEvents({ limit: 5 })).batches, [], 'nothing before the first dispatch');
  await c.execute({ script_name: 'counter', function_name: 'increment', input: 2 });
  await assert.rejects(c.execute({ script_name: 'attachments', function_name: 'keep' }));
  const audit = await c.getAuditEvents({ limit: 5 });
  assert.equal(audit.batches.length, 2);
  const [failed, ok] = audit.batches;  // newest first
  assert.equal(ok.committed, true);
  assert.equal(ok.events[0].subject, did);
  assert.equal(ok.events[0].actor, did);
  assert.equal(ok.events[0].target, 'counter#increment');
  assert.equal(ok.events[0].outcome, 'success');
  // The contract's own event (logging#audit), stamped by the host with the same subject and actor.
  assert.deepEqual([ok.events[1].action, ok.events[1].target, ok.events[1].outcome, ok.events[1].details],
    ['counter.increment', 'counter', 'success', 'incremented']);
  assert.equal(ok.events[1].subject, did);
  assert.equal(ok.events[1].actor, did);
  assert.equal(failed.committed, false, 'a call that did not commit says so');
  assert.match(failed.events[0].outcome, /^error/);
  const page = await c.getAuditEvents({ limit: 1 });
  assert.equal(page.batches.length, 1);
  assert.ok(page.next_cursor);
  const next = await c.getAuditEvents({ limit: 1, cursor: page.next_cursor });
  assert.equal(next.batches[0].key, ok.key);
  await assert.rejects(c.getAuditEvents({ pii_did: 'did:t3n:' + '7'.repeat(40) }), /NotDelegated/);
});

test('the same wallet is the same DID in a new session; eth_derived DID is the address', async () => {
  const wallet = ethers.Wallet.createRandom();
  const a = await loggedIn(wallet);
  const b = await loggedIn(wallet);
  assert.equal(a.did, b.did);
  const other = ethers.Wallet.createRandom();
  const c = client(other);
  await c.handshake();
  const derived = (await c.authenticate(createEthAuthInput(other.address.toLowerCase(), { ethDerived: true }))).toString();
  assert.equal(derived, 'did:t3n:' + other.address.toLowerCase().slice(2));
  // The DID resolves to a W3C DID document; an unknown one is 404, a malformed one 400.
  const doc = await (await fetch(`${url}/api/did/${a.did}`)).json();
  assert.equal(doc.id, a.did);
  assert.deepEqual(doc['@context'], ['https://www.w3.org/ns/did/v1']);
  assert.deepEqual(doc.service, []);
  assert.equal((await fetch(`${url}/api/did/did:t3n:${'0'.repeat(40)}`)).status, 404);
  assert.equal((await fetch(`${url}/api/did/not-a-did`)).status, 400);
});

test('addAuthMethod links a second wallet; a wallet of another DID is refused', async () => {
  const w1 = ethers.Wallet.createRandom();
  const w2 = ethers.Wallet.createRandom();
  const { c, did } = await loggedIn(w1);
  c.config.handlers.EthSign = metamask_sign(w2.address.toLowerCase(), undefined, w2.privateKey);
  await c.addAuthMethod(createEthAuthInput(w2.address.toLowerCase()));
  assert.equal((await loggedIn(w2)).did, did);  // w2 now logs in as w1's DID
  const w3 = ethers.Wallet.createRandom();
  await loggedIn(w3);  // w3 belongs to its own DID
  c.config.handlers.EthSign = metamask_sign(w3.address.toLowerCase(), undefined, w3.privateKey);
  await assert.rejects(c.addAuthMethod(createEthAuthInput(w3.address.toLowerCase())), /eth_auth_map_conflict/);
});

test('the login cookie validates with the SDK and resumes a session without logging in', async () => {
  const wallet = ethers.Wallet.createRandom();
  const { c, did } = await loggedIn(wallet);
  const setCookie = c.getLastSetCookie();
  assert.match(setCookie, /^t3n_session=/);
  const value = setCookie.split(';')[0].slice('t3n_session='.length);
  const st = await (await fetch(url + '/status')).json();
  const signer = ethers.getBytes(st.cookie_signer);
  const v = wasmSession.cookie.validate(value, signer, BigInt(Math.floor(Date.now() / 1000)));
  assert.equal(v.authenticated, true);
  assert.equal(v.did, did);
  // Another key's signature does not validate.
  const forged = wasmSession.cookie.validate(value, new Uint8Array(20), BigInt(Math.floor(Date.now() / 1000)));
  assert.equal(forged.authenticated, false);
  const resumed = client(wallet, { headers: { Cookie: 't3n_session=' + value } });
  await resumed.handshake();
  const n = await resumed.executeAndDecode({ script_name: 'counter', function_name: 'increment', input: 1 });
  assert.equal(typeof n, 'number');
});

test('unknown sessions, missing logins, replays and other sessions\' ciphertexts are Unauthorized', async () => {
  const none = await rawRpc('00000000-0000-4000-8000-000000000000', 'action.execute', 'AAAA');
  assert.match(none.body.error.data.detail, /^Unauthorized/);
  const noSession = await rawRpc(null, 'token.get-usage', {});
  assert.match(noSession.body.error.data.detail, /^Unauthorized/);
  // Capture one encrypted request of a real session (the SDK's own fetch).
  const { c } = await loggedIn(ethers.Wallet.createRandom());
  const sent = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (u, init) => {
    if (String(u).endsWith('/api/rpc')) sent.push({ headers: init.headers, body: init.body });
    return realFetch(u, init);
  };
  try {
    await c.execute({ script_name: 'counter', function_name: 'increment', input: 1 });
  } finally {
    globalThis.fetch = realFetch;
  }
  const captured = sent.at(-1);
  const sid = captured.headers['Session-Id'];
  const replay = await realFetch(url + '/api/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Session-Id': sid }, body: captured.body });
  const replayBody = await replay.json();
  assert.match(replayBody.error.data.detail, /Unauthorized: replayed/);
  // The same ciphertext under a second session does not decrypt.
  const { c: c2 } = await loggedIn(ethers.Wallet.createRandom());
  const sent2 = [];
  globalThis.fetch = async (u, init) => { if (String(u).endsWith('/api/rpc')) sent2.push(init.headers); return realFetch(u, init); };
  try { await c2.getUsage(); } finally { globalThis.fetch = realFetch; }
  const sid2 = sent2.at(-1)['Session-Id'];
  const cross = await realFetch(url + '/api/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Session-Id': sid2 }, body: captured.body });
  assert.match((await cross.json()).error.data.detail, /Unauthorized: the request does not decrypt/);
  // A session that has not logged in cannot execute.
  // (The SDK itself refuses to send before login, so ask raw.)
  const anon = client(ethers.Wallet.createRandom());
  let anonSid = null;
  globalThis.fetch = async (u, init) => {
    const res = await realFetch(u, init);
    if (String(u).endsWith('/api/rpc')) anonSid = res.headers.get('session-id');
    return res;
  };
  try { await anon.handshake(); } finally { globalThis.fetch = realFetch; }
  assert.ok(anonSid);
  const anonUsage = await rawRpc(anonSid, 'token.get-usage', {});
  assert.match(anonUsage.body.error.data.detail, /^Unauthorized: the session is not logged in/);
  // The refusals are counted by reason.
  const metrics = await (await realFetch(url + '/metrics')).text();
  assert.match(metrics, /t3n_session_refused_total\{reason="replayed"\} [1-9]/);
  assert.match(metrics, /t3n_session_refused_total\{reason="undecryptable"\} [1-9]/);
  assert.match(metrics, /t3n_sessions_open [1-9]/);
});

test('a session the node dropped answers Unauthorized and the SDK recovers by logging in again', async () => {
  // A second node that holds one session: a second handshake evicts the
  // first (the same refusal an expired session gets; expiry itself is
  // tested with an injected clock in tests/api/test_sessions.cpp).
  const small = await startNode(['--session-max', '1'], 'small');
  const saved = url;
  url = small.url;
  clearKeyCache();
  try {
    const wallet = ethers.Wallet.createRandom();
    const { c } = await loggedIn(wallet);
    await c.executeAndDecode({ script_name: 'counter', function_name: 'increment', input: 1 });
    await loggedIn(ethers.Wallet.createRandom());  // evicts c's session
    await assert.rejects(c.executeAndDecode({ script_name: 'counter', function_name: 'increment', input: 1 }),
      (e) => /Unauthorized/.test(e.message));
    // A T3nClient whose session is gone starts over: handshake and log in again.
    const again = (await loggedIn(wallet)).c;
    assert.equal(typeof (await again.executeAndDecode({ script_name: 'counter', function_name: 'increment', input: 1 })), 'number');
  } finally {
    small.child.kill('SIGTERM');
    url = saved;
    clearKeyCache();
  }
});
