// host:interfaces/signing, authorisation, provider-config and t3n:host/config
// through the example `signer` contract on a real `t3nd dev`, called with
// the official SDK, and checked by independent verifiers: ethers.js
// recovers the signer of `sign` (cluster key) and `sign-as-user` (the
// caller's custodial wallet); @sd-jwt/sd-jwt-vc verifies the SD-JWT VC and
// its disclosures against the issuer key the node publishes, and the key
// binding the node adds for the holder (vp.sign); a presentation made by
// @sd-jwt for an outside issuer of the node's trusted registry verifies in
// the node (vp.verify).
//   node --test tests/compat/signing.test.mjs     (T3ND=path/to/t3nd, CONTRACTS=dir)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { T3nClient, loadWasmComponent, metamask_sign, createEthAuthInput } from '@terminal3/t3n-sdk';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { ethers } from 'ethers';

const T3ND = process.env.T3ND;
const CONTRACTS = process.env.CONTRACTS;
const PROVIDER_SECRET = 'kyc-secret-' + Math.random().toString(36).slice(2);
let dir, wasm, url, child, logs = '', extIssuer;

function startNode(extra) {
  return new Promise((resolve, reject) => {
    const c = spawn(T3ND, ['--log-level', 'debug', '--ready-fd', '3', 'dev', '--port', '0', '--data', join(dir, 'data'),
      '--contracts', CONTRACTS, ...extra], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { logs += d; });
    c.stderr.on('data', (d) => { logs += d; });
    c.stdio[3].on('data', (d) => { out += d; });
    c.stdio[3].on('end', () => (out.trim() ? resolve({ c, url: out.trim() }) : reject(new Error('t3nd did not start: ' + logs))));
    c.on('error', reject);
  });
}

async function user(wallet = ethers.Wallet.createRandom()) {
  const addr = wallet.address.toLowerCase();
  const c = new T3nClient({ baseUrl: url, wasmComponent: wasm, handlers: { EthSign: metamask_sign(addr, undefined, wallet.privateKey) } });
  await c.handshake();
  const did = (await c.authenticate(createEthAuthInput(addr))).toString();
  const call = (fn, input) => c.executeAndDecode({ script_name: 'signer', function_name: fn, input });
  return { c, did, id: did.slice('did:t3n:'.length), call };
}

before(async () => {
  assert.ok(T3ND && CONTRACTS, 'set T3ND and CONTRACTS');
  dir = mkdtempSync(join(tmpdir(), 't3n-signing-'));
  const services = join(dir, 'services.toml');
  extIssuer = await ES256.generateKeyPair();
  const { kty, crv, x, y } = extIssuer.publicKey;
  writeFileSync(services, [
    '[cluster_config]', 'region = "eu-1"', 'max_items = 7', '',
    '[providers.kyc]', 'secret_contracts = ["signer"]',
    '[providers.kyc.config]', 'url = "https://api.kyc.example"', 'levels = ["basic", "full"]',
    '[providers.kyc.secret]', `api_key = "${PROVIDER_SECRET}"`, '',
    '[providers.other.config]', 'url = "https://other.example"', '',
    '[providers.geo]', 'secret_contracts = ["z:0000000000000000000000000000000000000000:someone-else"]',
    '[providers.geo.config]', 'url = "https://geo.example"',
    '[providers.geo.secret]', `token = "${PROVIDER_SECRET}-geo"`, '',
    '[signing]', 'default_issuer = "acme"',
    '[signing.issuers.acme]', 'iss = "https://issuer.acme.test"',
    '[signing.issuers.beta]', 'iss = "https://issuer.beta.test"', '',
    '[vp.trusted_issuers.ext]', 'iss = "https://issuer.ext.test"',
    `jwks = '${JSON.stringify({ keys: [{ kty, crv, x, y, kid: 'ext-1' }] })}'`, '',
  ].join('\n'));
  ({ c: child, url } = await startNode(['--services', services]));
  wasm = await loadWasmComponent();
});

after(() => {
  child?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('sign: ethers recovers the cluster address /api/signing-keys publishes', async () => {
  const keys = await (await fetch(url + '/api/signing-keys')).json();
  assert.match(keys.cluster.address, /^0x[0-9a-fA-F]{40}$/);
  const { call } = await user();
  const message = 'settle invoice 42';
  const out = JSON.parse(await call('sign-message', message));
  assert.match(out.signature, /^0x[0-9a-f]{130}$/);
  const digest32 = ethers.keccak256(ethers.toUtf8Bytes(message));
  assert.equal(ethers.recoverAddress(digest32, out.signature), keys.cluster.address);
  const fromPub = ethers.computeAddress('0x04' + out.pubKey.x.slice(2) + out.pubKey.y.slice(2));
  assert.equal(fromPub, keys.cluster.address);
  // Another message, another signature by the same key.
  const other = JSON.parse(await call('sign-message', message + '!'));
  assert.notEqual(other.signature, out.signature);
  assert.equal(ethers.recoverAddress(ethers.keccak256(ethers.toUtf8Bytes(message + '!')), other.signature), keys.cluster.address);
});

test('sign-as-user: EIP-191 with the caller\'s custodial wallet, created at first need; ethers verifies it', async () => {
  const alice = await user();
  const bob = await user();
  const address = await alice.call('my-address', null);
  assert.match(address, /^0x[0-9a-f]{40}$/);
  assert.equal(await alice.call('my-address', null), address, 'the primary wallet is stable');
  assert.notEqual(await bob.call('my-address', null), address, 'each user has their own');
  const message = 'I approve transfer #7';
  const sig = await alice.call('sign-as-me', message);
  assert.match(sig, /^0x[0-9a-f]{130}$/);
  assert.equal(ethers.verifyMessage(message, sig).toLowerCase(), address);
  assert.equal(await alice.call('wallet-count', null), 1);

  const addrBytes = [...ethers.getBytes(address)];
  const viaAddress = await alice.call('sign-with', { address: addrBytes, message });
  assert.equal(ethers.verifyMessage(message, viaAddress).toLowerCase(), address);
  await assert.rejects(bob.call('sign-with', { address: addrBytes, message }), /not-authorized/, 'bob does not own alice\'s wallet');
  await assert.rejects(alice.call('sign-with', { address: addrBytes.slice(1), message }), /malformed-address/);

  assert.equal(await bob.call('has-wallet', [...Buffer.from(alice.id, 'hex')]), true);
  assert.equal(await bob.call('has-wallet', [...Buffer.alloc(20, 7)]), false);
  assert.equal(await bob.call('has-wallet', [1, 2, 3]), false);

  // Neither the results nor the node's log hold anything but addresses and signatures.
  assert.ok(!logs.includes('sealed'), 'no sealed key material in the log');
});

test('sign-sd-jwt-vc: @sd-jwt/sd-jwt-vc verifies the credential, its disclosures and the holder binding', async () => {
  const alice = await user();
  const keys = await (await fetch(url + '/api/signing-keys')).json();
  assert.equal(keys.default_issuer, 'acme');
  const acme = keys.issuers.find((i) => i.id === 'acme');
  const { kty, crv, x, y } = acme.jwks.keys[0];
  const payload = { vct: 'https://t3n.test/credentials/kyc', given_name: 'Ada', family_name: 'Lovelace',
    address: { country: 'UK', city: 'London' }, level: 'full' };
  const sdjwt = await alice.call('issue-credential', {
    payload: JSON.stringify(payload), disclosable: ['given_name', 'family_name', 'address.city'], holder: alice.did, issuer: null, bind: true,
  });
  const parts = sdjwt.split('~');
  assert.equal(parts.length, 5, 'jwt, three disclosures and the trailing ~');
  const header = JSON.parse(Buffer.from(parts[0].split('.')[0], 'base64url'));
  assert.equal(header.alg, 'ES256');
  assert.equal(header.typ, 'dc+sd-jwt');
  const body = JSON.parse(Buffer.from(parts[0].split('.')[1], 'base64url'));
  assert.equal(body.iss, 'https://issuer.acme.test');
  assert.equal(body.given_name, undefined, 'concealed in the issuer-signed part');
  assert.equal(body.address.city, undefined);
  assert.equal(body.address.country, 'UK');
  assert.equal(body.cnf.jwk.crv, 'P-256');
  assert.equal(body.sub, alice.did);

  const vc = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', verifier: await ES256.getVerifier({ kty, crv, x, y }) });
  const verified = await vc.verify(sdjwt);
  assert.equal(verified.payload.given_name, 'Ada');
  assert.equal(verified.payload.family_name, 'Lovelace');
  assert.equal(verified.payload.address.city, 'London');
  assert.equal(verified.payload.vct, payload.vct);
  // Selective disclosure: drop one disclosure, the rest still verifies.
  const partial = [parts[0], parts[2], parts[3], ''].join('~');
  const some = await vc.verify(partial);
  assert.equal(some.payload.given_name, undefined);
  // A forged disclosure is not covered by the signed digests: the verifier
  // discloses nothing from it. A changed signature fails.
  const forged = Buffer.from(JSON.stringify(['c2FsdA', 'given_name', 'Mallory'])).toString('base64url');
  const withForged = await vc.verify([parts[0], forged, ''].join('~'));
  assert.equal(withForged.payload.given_name, undefined);
  const badSig = parts[0].slice(0, -4) + (parts[0].endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await assert.rejects(vc.verify([badSig, ...parts.slice(1)].join('~')));
  // Another issuer's key does not verify acme's credential.
  const beta = keys.issuers.find((i) => i.id === 'beta').jwks.keys[0];
  const wrong = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', verifier: await ES256.getVerifier({ kty: beta.kty, crv: beta.crv, x: beta.x, y: beta.y }) });
  await assert.rejects(wrong.verify(sdjwt));

  // Typed errors.
  const issue = (over) => alice.call('issue-credential', { payload: JSON.stringify(payload), disclosable: [], holder: alice.did, issuer: null, bind: false, ...over });
  await assert.rejects(issue({ issuer: 'nope' }), /unknown-issuer: nope/);
  await assert.rejects(issue({ payload: '{"given_name":"Ada"}' }), /invalid-payload/);
  await assert.rejects(issue({ payload: 'not json' }), /invalid-payload/);
  await assert.rejects(issue({ payload: JSON.stringify({ ...payload, iss: 'https://evil' }) }), /invalid-payload/);
  await assert.rejects(issue({ disclosable: ['vct'] }), /conceal-claims-failed/);
  await assert.rejects(issue({ disclosable: ['nickname'] }), /conceal-claims-failed/);
  const bob = await user();
  await assert.rejects(issue({ holder: bob.did, bind: true }), /holder-binding-invalid/);
  const unbound = await issue({ issuer: 'beta' });
  assert.equal(JSON.parse(Buffer.from(unbound.split('~')[0].split('.')[1], 'base64url')).cnf, undefined);
});

test('authorisation: the manifest\'s allow list decides for a direct caller', async () => {
  const { call } = await user();
  assert.equal(await call('may-reach', ['api.example.com']), 'ok');
  assert.equal(await call('may-reach', ['a.kyc.example', 'api.example.com']), 'ok');
  assert.equal(await call('may-reach', ['api.example.com', 'evil.test']), 'denied-unauthorized: evil.test');
  assert.equal(await call('may-reach', ['kyc.example']), 'denied-unauthorized: kyc.example', '*.suffix is strictly below');
  assert.equal(await call('may-reach-bool', ['api.example.com']), true);
  assert.equal(await call('may-reach-bool', ['evil.test']), false);
});

test('provider-config: public part for a listed provider, the secret only for allow-listed contracts; config values', async () => {
  const { call } = await user();
  const kyc = JSON.parse(await call('provider', 'kyc'));
  assert.equal(kyc.provider, 'kyc');
  assert.equal(kyc.config.url, 'https://api.kyc.example');
  assert.deepEqual(kyc.config.levels, ['basic', 'full']);
  assert.equal(kyc.secret.api_key, PROVIDER_SECRET);
  const geo = JSON.parse(await call('provider', 'geo'));
  assert.equal(geo.config.url, 'https://geo.example');
  assert.equal(geo.secret, undefined, 'signer is not on geo\'s secret allowlist');
  await assert.rejects(call('provider', 'other'), /not-granted/);
  await assert.rejects(call('provider', 'missing'), /not-granted/);
  assert.equal(await call('config-string', 'region'), 'eu-1');
  assert.equal(await call('config-u64', 'max_items'), 7);
  assert.equal(await call('config-u64', 'absent'), null);
  await assert.rejects(call('config-u64', 'region'), /not a u64/);
  assert.ok(!logs.includes(PROVIDER_SECRET), 'the provider secret is never logged');
  // Nothing on disk holds the provider secret or a custodial key in the clear.
  const walk = (p) => (statSync(p).isDirectory() ? readdirSync(p).flatMap((f) => walk(join(p, f))) : [p]);
  for (const f of walk(join(dir, 'data'))) assert.ok(!readFileSync(f).includes(PROVIDER_SECRET), f);
});

test('vp: the node signs the key binding with the holder key (@sd-jwt verifies it); @sd-jwt presentations of a trusted outside issuer verify in the node', async () => {
  const alice = await user();
  const bob = await user();
  const keys = await (await fetch(url + '/api/signing-keys')).json();
  const acme = keys.issuers.find((i) => i.id === 'acme').jwks.keys[0];
  const payload = { vct: 'https://t3n.test/credentials/kyc', given_name: 'Ada', level: 'full' };
  const sdjwt = await alice.call('issue-credential', {
    payload: JSON.stringify(payload), disclosable: ['given_name', 'level'], holder: alice.did, issuer: null, bind: true,
  });
  const presenter = (who, fn, input) => who.c.executeAndDecode({ script_name: 'presenter', function_name: fn, input });
  const nonce = 'n-' + Math.random().toString(36).slice(2);
  const vp = await presenter(alice, 'present', { 'sd-jwt': sdjwt, nonce, audience: 'https://verifier.example' });
  assert.ok(vp.startsWith(sdjwt), 'the credential, then the key binding JWT');
  const vc = new SDJwtVcInstance({
    hasher: digest, hashAlg: 'sha-256',
    verifier: await ES256.getVerifier({ kty: acme.kty, crv: acme.crv, x: acme.x, y: acme.y }),
    kbVerifier: async (data, sig, credential) => (await ES256.getVerifier(credential.cnf.jwk))(data, sig),
  });
  const verified = await vc.verify(vp, { keyBindingNonce: nonce });
  assert.equal(verified.kb.payload.aud, 'https://verifier.example');
  assert.equal(verified.kb.payload.nonce, nonce);
  assert.equal(verified.payload.given_name, 'Ada');
  await assert.rejects(vc.verify(vp, { keyBindingNonce: 'another-nonce' }), /Nonce/);
  await assert.rejects(presenter(bob, 'present', { 'sd-jwt': sdjwt, nonce, audience: 'a' }), /bound to another key/,
    'bob cannot present a credential bound to alice');

  // The node as verifier: its own issuer is trusted, the typed errors.
  const ok = await presenter(bob, 'verify', { token: vp, audience: 'https://verifier.example', nonce, issuer: 'https://issuer.acme.test' });
  assert.equal(JSON.parse(ok.claims).given_name, 'Ada');
  assert.equal(ok['holder-did'], alice.did);
  await assert.rejects(presenter(bob, 'verify', { token: vp, audience: 'https://other.example', nonce, issuer: '' }), /audience-mismatch/);
  await assert.rejects(presenter(bob, 'verify', { token: vp, audience: 'https://verifier.example', nonce: 'x', issuer: '' }), /nonce-mismatch/);

  // An outside issuer and holder, entirely made by @sd-jwt; the issuer is in [vp.trusted_issuers].
  const holder = await ES256.generateKeyPair();
  const ext = new SDJwtVcInstance({
    hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
    signer: await ES256.getSigner(extIssuer.privateKey), signAlg: 'ES256',
    kbSigner: await ES256.getSigner(holder.privateKey), kbSignAlg: 'ES256',
  });
  const now = Math.floor(Date.now() / 1000);
  const { kty, crv, x, y } = holder.publicKey;
  const cred = await ext.issue({ iss: 'https://issuer.ext.test', iat: now, vct: 'https://ext.test/age', age_over_18: true, name: 'Ada',
    cnf: { jwk: { kty, crv, x, y } } }, { _sd: ['age_over_18', 'name'] }, { header: { kid: 'ext-1' } });
  const presented = await ext.present(cred, { age_over_18: true },
    { kb: { payload: { iat: now, aud: 'https://verifier.example', nonce: 'ext-nonce' } } });
  const extOk = await presenter(bob, 'verify', { token: presented, audience: 'https://verifier.example', nonce: 'ext-nonce', issuer: 'https://issuer.ext.test' });
  const claims = JSON.parse(extOk.claims);
  assert.equal(claims.age_over_18, true);
  assert.equal(claims.name, undefined, 'not disclosed');
  assert.match(extOk['holder-did'], /^did:jwk:/);
  await assert.rejects(presenter(bob, 'verify', { token: presented, audience: 'https://verifier.example', nonce: 'ext-nonce', issuer: 'https://issuer.unknown.test' }),
    /issuer-untrusted/);
  const tampered = presented.replace(/\.[^.~]+$/, '.' + Buffer.alloc(64, 1).toString('base64url'));
  await assert.rejects(presenter(bob, 'verify', { token: tampered, audience: 'https://verifier.example', nonce: 'ext-nonce', issuer: '' }), /signature-invalid/);
});
