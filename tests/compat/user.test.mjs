// tee:user/contracts through the official SDK's typed T3nClient methods on
// a real `t3nd dev`, with an SMTP stand-in on 127.0.0.1: e-mail OTP that
// verifies a contact, the verified-e-mail gate of submitUserInput, refused
// fields, custodial wallets and their history, the honest KYC status,
// agent grants, and removal by crypto-shredding. The profile's e-mail never
// appears in the node's log or, in plaintext, in its data directory.
//   node --test tests/compat/user.test.mjs     (T3ND=path/to/t3nd, CONTRACTS=dir)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { T3nClient, loadWasmComponent, metamask_sign, createEthAuthInput } from '@terminal3/t3n-sdk';
import { ethers } from 'ethers';
import { startSmtpSink } from './smtp_sink.mjs';
import { startDevNode } from './dev_node.mjs';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';

const T3ND = process.env.T3ND;
const CONTRACTS = process.env.CONTRACTS;
let dir, wasm, url, node, smtp;
const KYC_SECRET = 'kyc-webhook-secret-' + Math.random().toString(36).slice(2);

before(async () => {
  assert.ok(T3ND && CONTRACTS, 'set T3ND and CONTRACTS');
  dir = mkdtempSync(join(tmpdir(), 't3n-user-'));
  smtp = await startSmtpSink();
  node = await startDevNode(T3ND, ['--data', join(dir, 'data'), '--contracts', CONTRACTS,
    '--smtp-url', `smtp://127.0.0.1:${smtp.port}`, '--smtp-from', 'codes@t3n.test',
    // Two accounts verify one address back to back (merge-profiles).
    '--otp-cooldown-seconds', '0', '--kyc-provider', `veriff=${KYC_SECRET}`], ['--log-level', 'debug']);
  url = node.url;
  wasm = await loadWasmComponent();
});

after(() => {
  node?.child.kill('SIGTERM');
  smtp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function user(wallet = ethers.Wallet.createRandom()) {
  const addr = wallet.address.toLowerCase();
  const c = new T3nClient({ baseUrl: url, wasmComponent: wasm, handlers: { EthSign: metamask_sign(addr, undefined, wallet.privateKey) } });
  await c.handshake();
  const did = (await c.authenticate(createEthAuthInput(addr))).toString();
  return { c, did, wallet };
}

const codeOf = (mail) => mail.match(/code is (\d{6})/)[1];

function filesHolding(root, needle) {
  const hits = [];
  const walk = (p) => {
    for (const name of readdirSync(p)) {
      const f = join(p, name);
      if (statSync(f).isDirectory()) walk(f);
      else if (readFileSync(f).includes(needle)) hits.push(f);
    }
  };
  walk(root);
  return hits;
}

test('OTP verifies an e-mail; only then does submitUserInput store the profile; wallets, KYC, grants; removal shreds', async () => {
  const { c, did, wallet } = await user();
  const email = `ada.${Date.now()}@example.com`;
  await assert.rejects(c.submitUserInput({ profile: { first_name: 'Ada', email_address: email } }),
    (e) => /email_not_verified/i.test(e.message + (e.kind ?? '')), 'refused before any verified e-mail');

  const pending = await c.otpRequest({ emailChannel: { emailAddress: email } });
  assert.equal(pending.status, 'otp_pending');
  assert.equal(pending.contact, email);
  const code = codeOf(await smtp.next());
  const wrong = await c.otpVerify({ otpCode: code === '000000' ? '111111' : '000000', request: { emailChannel: { emailAddress: email } } });
  assert.equal(wrong.status, 'otp_failed');
  const verified = await c.otpVerify({ otpCode: code, request: { emailChannel: { emailAddress: email } } });
  assert.equal(verified.did, did);
  assert.equal(verified.email, email);
  assert.equal(verified.status, undefined);
  const replay = await c.otpVerify({ otpCode: code, request: { emailChannel: { emailAddress: email } } });
  assert.equal(replay.status, 'otp_failed', 'a code is single use');

  const up = await c.submitUserInput({ profile: { first_name: 'Ada', last_name: 'Lovelace', email_address: email, phone_number: '+44700900123' } });
  assert.equal(up.userFound, true);
  assert.deepEqual(up.refusedFields, ['phone_number'], 'no verified phone');
  const other = await c.submitUserInput({ profile: { email_address: 'mallory@example.com' } });
  assert.deepEqual(other.refusedFields, ['email_address'], 'only the verified address');

  const address = await c.getSelfEthAddress();
  assert.match(address, /^0x[0-9a-f]{40}$/);
  assert.equal(await c.getSelfEthAddress(), address);
  const wallets = await c.listUserWallets();
  assert.equal(wallets.primary, address);
  const history = await c.getWalletHistory(address);
  assert.ok(history[0].Created, JSON.stringify(history));

  const kyc = await c.kycStatus();
  assert.equal(kyc.status, 'pending', 'no decision yet: the honest answer');
  await c.agentAuthUpdate({ agents: [{ agentDid: 'did:key:z6MkagentExample', scripts: [{ scriptName: 'signer', functions: ['may-reach'], allowedHosts: ['api.example.com'] }] }] });

  assert.ok(!node.logs.includes(email), 'the e-mail address is not in the log');
  assert.deepEqual(filesHolding(join(dir, 'data'), email), [], 'nor in plaintext on disk');

  await c.removeUserWithWalletAbandonment();
  // The same wallet logs in as a new, empty user.
  const again = await user(wallet);
  assert.notEqual(again.did, did);
});

test('tee:agent-registry: an agent URI per DID, read back by anyone and served in the W3C DID document', async () => {
  const { c, did, wallet } = await user();
  const agentURI = 'https://agents.example/' + did.slice(-8);
  const reg = await c.executeAndDecode({ script_name: 'tee:agent-registry/contracts', function_name: 'agent-registry-register', input: { agentURI } });
  assert.equal(reg.agent_uri, agentURI);
  assert.equal(reg.owner_eth_address, wallet.address.toLowerCase(), 'the owner is the wallet the user logged in with');
  const other = await user();
  const got = await other.c.executeAndDecode({ script_name: 'tee:agent-registry/contracts', function_name: 'agent-registry-get', input: { did } });
  assert.equal(got.agent_uri, agentURI);
  const doc = await (await fetch(`${url}/api/did/${did}`)).json();
  assert.deepEqual(doc.service.map((s) => [s.type, s.serviceEndpoint]), [['AgentService', agentURI]]);
  await assert.rejects(c.executeAndDecode({ script_name: 'tee:agent-registry/contracts', function_name: 'agent-registry-register',
    input: { agentURI: 'x'.repeat(2049) } }), /InvalidAgentUri/);
  await assert.rejects(other.c.executeAndDecode({ script_name: 'tee:agent-registry/contracts', function_name: 'agent-registry-get',
    input: { did: other.did } }), /AgentNotFound/);
});

test('merge-profiles folds an account into the one that shares its verified e-mail; without a shared contact it is refused', async () => {
  const survivor = await user();
  const email = `merge.${Date.now()}@example.com`;
  await survivor.c.otpRequest({ emailChannel: { emailAddress: email } });
  await survivor.c.otpVerify({ otpCode: codeOf(await smtp.next()), request: { emailChannel: { emailAddress: email } } });
  await survivor.c.submitUserInput({ profile: { first_name: 'Grace', country_of_residence: 'SG' } });

  const source = await user();
  const sourceWallet = await source.c.getSelfEthAddress();
  await source.c.submitUserInput({ profile: { email_address: 'unverified@example.com' } }).catch(() => {});
  const stranger = await user();
  await assert.rejects(stranger.c.mergeProfiles(survivor.did), /no_shared_contact/, 'no verified contact in common');

  await source.c.otpRequest({ emailChannel: { emailAddress: email } });
  const proof = await source.c.otpVerify({ otpCode: codeOf(await smtp.next()), request: { emailChannel: { emailAddress: email } } });
  const suggestion = proof.mergeSuggestion ?? proof.merge_suggestion;
  assert.equal(suggestion.existingDid ?? suggestion.existing_did, survivor.did, 'the contact belongs to the survivor');
  await assert.rejects(source.c.mergeProfiles(source.did), /merge_self/);
  const merged = await source.c.mergeProfiles(survivor.did);
  assert.equal(merged.merged, true);
  assert.equal(merged.wallets_moved, 1);

  // The source's wallet login now opens the survivor; its wallet is a secondary there, with its history.
  const again = await user(source.wallet);
  assert.equal(again.did, survivor.did);
  const wallets = await again.c.listUserWallets();
  assert.ok(wallets.secondary.includes(sourceWallet), 'the source wallet joined as a secondary');
  const history = await again.c.getWalletHistory(sourceWallet);
  assert.ok(history.some((e) => e.MergedFrom?.source_did === source.did), JSON.stringify(history));
  const fields = await again.c.executeAndDecode({ script_name: 'tee:user/contracts', function_name: 'get-profile-fields-name-only', input: {} });
  assert.ok(fields.includes('first_name') && fields.includes('country_of_residence'));
});

const lastSmsCode = (file) => [...readFileSync(file, 'utf8').matchAll(/code is (\d{6})/g)].pop()[1];

test('SMS OTP: only after a verified e-mail; the dev SMS mailbox; a verified phone joins the profile', async () => {
  const { c } = await user();
  const phone = '+65 8123 ' + String(Date.now()).slice(-4);
  const canonical = phone.replaceAll(' ', '');
  await assert.rejects(c.otpRequest({ smsChannel: { phoneNumber: phone } }), /email_not_verified/, 'SMS needs a verified e-mail');
  const email = `sms.${Date.now()}@example.com`;
  await c.otpRequest({ emailChannel: { emailAddress: email } });
  await c.otpVerify({ otpCode: codeOf(await smtp.next()), request: { emailChannel: { emailAddress: email } } });
  await assert.rejects(c.otpRequest({ smsChannel: { phoneNumber: '12345' } }), /invalid_contact/);
  const pending = await c.otpRequest({ smsChannel: { phoneNumber: phone } });
  assert.equal(pending.status, 'otp_pending');
  assert.equal(pending.contact, canonical);
  const code = lastSmsCode(join(dir, 'data', 'dev-sms.txt'));
  const wrong = await c.otpVerify({ otpCode: code === '000000' ? '111111' : '000000', request: { smsChannel: { phoneNumber: phone } } });
  assert.equal(wrong.status, 'otp_failed');
  const ok = await c.otpVerify({ otpCode: code, request: { smsChannel: { phoneNumber: phone } } });
  assert.equal(ok.phone, canonical);
  const up = await c.submitUserInput({ profile: { phone_number: canonical, first_name: 'Ada' } });
  assert.ok(!(up.refusedFields ?? []).includes('phone_number'), 'the verified phone is accepted');
  const replay = await c.otpVerify({ otpCode: code, request: { smsChannel: { phoneNumber: phone } } });
  assert.equal(replay.status, 'otp_failed', 'an SMS code is single use');
  assert.ok(!node.logs.includes(canonical), 'the phone number is not in the node log');
});

test('SMS OTP through the operator gateway: the outbox POSTs {to, from, text} with its Authorization after the commit', async () => {
  const received = [];
  let arrived;
  const gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ auth: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"msg-1"}');
      arrived?.();
    });
  });
  await new Promise((r) => gateway.listen(0, '127.0.0.1', r));
  const gw = `http://sms.test:${gateway.address().port}/send`;  // egress refuses IP literals
  let second;
  try {
    second = await startDevNode(T3ND, ['--data', join(dir, 'gateway'), '--contracts', CONTRACTS,
      '--smtp-url', `smtp://127.0.0.1:${smtp.port}`, '--smtp-from', 'codes@t3n.test', '--otp-cooldown-seconds', '0',
      '--sms-url', gw, '--sms-authorization', 'Bearer gw-secret', '--egress-allow-private-for-tests', '--egress-allow-http',
      '--egress-resolve', 'sms.test=127.0.0.1']);
    const secondUrl = second.url;
    const wallet = ethers.Wallet.createRandom();
    const addr = wallet.address.toLowerCase();
    const c = new T3nClient({ baseUrl: secondUrl, wasmComponent: wasm, handlers: { EthSign: metamask_sign(addr, undefined, wallet.privateKey) } });
    await c.handshake();
    await c.authenticate(createEthAuthInput(addr));
    const email = `gw.${Date.now()}@example.com`;
    await c.otpRequest({ emailChannel: { emailAddress: email } });
    await c.otpVerify({ otpCode: codeOf(await smtp.next()), request: { emailChannel: { emailAddress: email } } });
    const got = new Promise((r) => { arrived = r; });
    await c.otpRequest({ smsChannel: { phoneNumber: '+6581239999' } });
    await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error('no SMS reached the gateway: ' + second.logs.slice(-3000))), 20000))]);
    assert.equal(received.length, 1);
    assert.equal(received[0].auth, 'Bearer gw-secret');
    assert.equal(received[0].body.to, '+6581239999');
    const code = received[0].body.text.match(/code is (\d{6})/)[1];
    assert.equal((await c.otpVerify({ otpCode: code, request: { smsChannel: { phoneNumber: '+6581239999' } } })).phone, '+6581239999');
    assert.ok(!second.logs.includes('gw-secret') && !second.logs.includes(code), 'neither the gateway secret nor the code is logged');
  } finally {
    second?.child.kill('SIGTERM');
    gateway.close();
  }
});

test('KYC: a provider\'s signed webhook decides kyc-status; a bad signature, a replay or an unknown user changes nothing', async () => {
  const { c, did } = await user();
  const hook = (body, secret = KYC_SECRET, provider = 'veriff') => {
    const text = JSON.stringify(body);
    const sig = createHmac('sha256', secret).update(text).digest('hex');
    return fetch(`${url}/api/kyc/webhook/${provider}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hmac-signature': sig }, body: text });
  };
  assert.equal((await c.kycStatus()).status, 'pending');
  const approved = { status: 'success', verification: { id: 'sess-1', status: 'approved', vendorData: did } };
  assert.equal((await hook(approved, 'not-the-secret')).status, 401, 'a wrong signature is refused');
  assert.equal((await c.kycStatus()).status, 'pending', 'and changes nothing');
  assert.equal((await hook(approved, KYC_SECRET, 'onfido')).status, 404, 'an unconfigured provider');
  const declined = { status: 'success', verification: { id: 'sess-1', status: 'declined', vendorData: did, reason: 'document expired' } };
  assert.equal((await (await hook(declined)).json()).kyc_status, 'rejected');
  const rejected = await c.kycStatus();
  assert.equal(rejected.status, 'rejected');
  assert.equal(rejected.error, 'document expired');
  const ok = await (await hook({ status: 'success', verification: { id: 'sess-2', status: 'approved', vendorData: did } })).json();
  assert.equal(ok.kyc_status, 'verified');
  const verified = await c.kycStatus();
  assert.equal(verified.status, 'verified');
  assert.ok(verified.updatedAt > 0);
  assert.equal((await (await hook(declined)).json()).status, 'duplicate', 'a replayed decision is ignored');
  assert.equal((await c.kycStatus()).status, 'verified');
  const orphan = await (await hook({ verification: { id: 's', status: 'approved', vendorData: 'did:t3n:' + '9'.repeat(40) } })).json();
  assert.equal(orphan.status, 'orphan');
  const final = await c.kycStatusPoll({ cadence: { initialMs: 10, maxMs: 20, timeoutMs: 2000 } });
  assert.equal(final.status, 'verified', 'the SDK\'s poll ends on the terminal status');
});

test('get-profile-fields-name-only with pii_did: an agent the user granted reads the names, never the values; others are refused', async () => {
  const owner = await user(), agent = await user(), stranger = await user();
  const email = `names.${Date.now()}@example.com`;
  await owner.c.otpRequest({ emailChannel: { emailAddress: email } });
  await owner.c.otpVerify({ otpCode: codeOf(await smtp.next()), request: { emailChannel: { emailAddress: email } } });
  await owner.c.submitUserInput({ profile: { first_name: 'Secret-Name-MARKER' } });
  const ask = (who, fn = 'get-profile-fields-name-only') =>
    who.c.execute({ script_name: 'tee:user/contracts', function_name: fn, input: {}, pii_did: owner.did });
  await assert.rejects(ask(agent), /NotDelegated/, 'no grant yet');
  await owner.c.agentAuthUpdate({ agents: [{ agentDid: agent.did, scripts: [{ scriptName: 'tee:user/contracts', functions: ['get-profile-fields-name-only'] }] }] });
  const names = JSON.parse(await ask(agent));
  assert.ok(names.includes('first_name') && names.includes('email_address'), JSON.stringify(names));
  assert.ok(!JSON.stringify(names).includes('Secret-Name-MARKER'), 'names only');
  await assert.rejects(ask(stranger), /delegat|grant/i, 'a user who was not granted');
  await assert.rejects(ask(agent, 'get-self-eth-address'), /own data only/, 'only delegable functions take pii_did');
});
