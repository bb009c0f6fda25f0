// Organisations, org data and delegation credentials through the official
// SDK on a real `t3nd dev`: createOrganisation, OrgDataClient and
// SessionOrgDataClient (policy, writers, grants, data with paging), an org
// tenant admitted by the operator and managed by the org's admins, and an
// agent acting on a user's data with a delegation credential (signed by the
// user's own key, or by the node with the user's custodial wallet) until the
// credential is revoked — with the refusals of each.
//   node --test tests/compat/org.test.mjs     (T3ND=path/to/t3nd, CONTRACTS=dir)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  T3nClient, TenantClient, OrgDataClient, SessionOrgDataClient, DelegationCustodialClient, loadWasmComponent, metamask_sign,
  createEthAuthInput, buildDelegationCredential, canonicaliseCredential, signCredential, buildPayrollInvocation,
  b64uEncodeBytes, revokeDelegation, ethRecoverEip191,
} from '@terminal3/t3n-sdk';
import { ethers } from 'ethers';
import { startDevNode } from './dev_node.mjs';

const T3ND = process.env.T3ND;
const CONTRACTS = process.env.CONTRACTS;
const operator = ethers.Wallet.createRandom();
let dir, wasm, url, node;

before(async () => {
  assert.ok(T3ND && CONTRACTS, 'set T3ND and CONTRACTS');
  dir = mkdtempSync(join(tmpdir(), 't3n-org-'));
  node = await startDevNode(T3ND, ['--data', join(dir, 'data'), '--contracts', CONTRACTS, '--admin-address', operator.address],
    ['--log-level', 'debug']);
  url = node.url;
  wasm = await loadWasmComponent();
});

after(() => {
  node?.child.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function user(wallet = ethers.Wallet.createRandom()) {
  const addr = wallet.address.toLowerCase();
  const c = new T3nClient({ baseUrl: url, wasmComponent: wasm, handlers: { EthSign: metamask_sign(addr, undefined, wallet.privateKey) } });
  await c.handshake();
  const did = (await c.authenticate(createEthAuthInput(addr))).toString();
  return { c, did, wallet, secret: ethers.getBytes(wallet.privateKey) };
}

const refusal = (re) => (e) => re.test(String(e?.message) + JSON.stringify(e?.data ?? e?.details ?? ''));

test('createOrganisation, the OrgDataClient flows and their refusals; an org tenant its admins manage', async () => {
  const alice = await user(), bob = await user(), carol = await user(), mallory = await user();
  const org = String(await alice.c.createOrganisation('Acme Pte'));
  assert.match(org, /^did:t3n:[0-9a-f]{40}$/);

  // Alice's own ETH-secret-driven client, and session clients for the others.
  const a = new OrgDataClient(url, alice.secret, alice.did, { wasmComponent: wasm });
  const meta = await a.policyGet({ orgDid: org });
  assert.deepEqual(meta.admins, [alice.did], 'the creator is the sole admin');
  assert.ok(meta.max_admins >= 1 && meta.created_at_secs > 0);
  await assert.rejects(a.createPolicy({ orgDid: org, initialAdminDid: alice.did }), refusal(/PolicyExists/));
  await assert.rejects(a.updateMeta({ orgDid: org, admins: [carol.did] }), refusal(/SoleAdmin/), 'the sole admin cannot leave');

  const m = new SessionOrgDataClient(mallory.c, url);
  await assert.rejects(m.policyGet({ orgDid: org }), refusal(/NotOrgAdmin/));
  await assert.rejects(m.updateMeta({ orgDid: org, admins: [mallory.did] }), refusal(/NotOrgAdmin/));
  await assert.rejects(m.setWriters({ orgDid: org, scope: 'payroll', writers: [mallory.did] }), refusal(/NotOrgAdmin/));

  const up = await a.updateMeta({ orgDid: org, admins: [alice.did, carol.did], maxAdmins: 3, maxCredentialValiditySecs: 3600 });
  assert.equal(up.status, 'updated');
  assert.ok('tx_hash' in up);
  await assert.rejects(a.updateMeta({ orgDid: org, admins: [alice.did, carol.did, bob.did, mallory.did] }), refusal(/TooManyAdmins/));
  assert.equal((await m.policyView({ orgDid: org })).effective_validity_secs, 3600, 'any session reads the effective cap');
  const c = new SessionOrgDataClient(carol.c, url);
  assert.deepEqual((await c.policyGet({ orgDid: org })).admins, [alice.did, carol.did]);

  // Writers per scope (canonicalised to lower case); data entries.
  assert.equal((await c.setWriters({ orgDid: org, scope: 'Payroll', writers: [bob.did] })).status, 'created');
  assert.deepEqual((await a.writersGet({ orgDid: org, scope: 'payroll' })).writers, [bob.did]);
  const b = new SessionOrgDataClient(bob.c, url);
  const w1 = await b.writeData({ orgDid: org, scope: 'payroll', payloadHex: 'c0ffee', clientSeqNo: 1 });
  assert.equal(w1.status, 'created');
  assert.match(w1.entry_id, /^[0-9a-f]{32}$/);
  const again = await b.writeData({ orgDid: org, scope: 'payroll', payloadHex: 'c0ffee', clientSeqNo: 1 });
  assert.deepEqual([again.status, again.entry_id], ['updated', w1.entry_id], 'idempotent: the same id');
  const fixed = 'ab'.repeat(16);
  assert.equal((await b.writeData({ orgDid: org, scope: 'payroll', payloadHex: '01', entryId: fixed })).entry_id, fixed);
  await b.writeData({ orgDid: org, scope: 'payroll', payloadHex: '02', clientSeqNo: 2 });
  await assert.rejects(m.writeData({ orgDid: org, scope: 'payroll', payloadHex: '00', clientSeqNo: 1 }), refusal(/NotWriter/));
  await assert.rejects(b.writeData({ orgDid: org, scope: 'payroll', payloadHex: 'xyz', clientSeqNo: 3 }), refusal(/InvalidPayload/));

  const page1 = await a.dataList({ orgDid: org, scope: 'payroll', limit: 2 });
  assert.equal(page1.total, 3);
  assert.equal(page1.entry_ids.length, 2);
  assert.equal(page1.next_offset, 2);
  const page2 = await a.dataList({ orgDid: org, scope: 'payroll', offset: page1.next_offset, limit: 2 });
  assert.equal(page2.entry_ids.length, 1);
  assert.equal(page2.next_offset, null);
  assert.ok([...page1.entry_ids, ...page2.entry_ids].includes(w1.entry_id));
  assert.deepEqual(await a.dataGet({ orgDid: org, scope: 'payroll', entryId: w1.entry_id }), { entry_id: w1.entry_id, payload_hex: 'c0ffee' });
  await assert.rejects(b.dataGet({ orgDid: org, scope: 'payroll', entryId: w1.entry_id }), refusal(/NotOrgReader/), 'writing is not reading');
  await assert.rejects(a.dataGet({ orgDid: org, scope: 'payroll', entryId: '00'.repeat(16) }), refusal(/EntryNotFound/));

  // Grants: a granted user reads within their scopes until the grant expires.
  const dave = await user();
  const d = new SessionOrgDataClient(dave.c, url);
  await assert.rejects(d.dataList({ orgDid: org, scope: 'payroll' }), refusal(/NotOrgReader/));
  const grant = { user_did: dave.did, functions: ['remember'], scopes: ['payroll'], constraints: { region: 'sg' }, expires_at_secs: null };
  assert.equal((await a.setGrants({ orgDid: org, contractId: 'counter', grants: [grant] })).status, 'created');
  assert.deepEqual(await a.grantsGet({ orgDid: org, contractId: 'counter' }), { contract_id: 'counter', grants: [grant] });
  assert.equal((await d.dataList({ orgDid: org, scope: 'payroll' })).total, 3);
  await assert.rejects(d.dataList({ orgDid: org, scope: 'hr' }), refusal(/NotOrgReader/), 'only within its scopes');
  await a.setGrants({ orgDid: org, contractId: 'counter', grants: [{ ...grant, expires_at_secs: Math.floor(Date.now() / 1000) - 1 }] });
  await assert.rejects(d.dataList({ orgDid: org, scope: 'payroll' }), refusal(/NotOrgReader/), 'an expired grant reads nothing');
  assert.equal((await a.deleteGrants({ orgDid: org, contractId: 'counter' })).deleted, true);
  assert.deepEqual((await a.grantsGet({ orgDid: org, contractId: 'counter' })).grants, []);
  await assert.rejects(m.deleteGrants({ orgDid: org, contractId: 'counter' }), refusal(/NotOrgAdmin/));

  const del = await b.deleteData({ orgDid: org, scope: 'payroll', entryId: fixed });
  assert.deepEqual([del.status, del.deleted], ['deleted', true]);
  assert.equal((await b.deleteData({ orgDid: org, scope: 'payroll', entryId: fixed })).deleted, false);
  await assert.rejects(b.deleteScope({ orgDid: org, scope: 'payroll' }), refusal(/NotOrgAdmin/), 'a scope is deleted by admins');
  assert.equal((await a.deleteScope({ orgDid: org, scope: 'payroll' })).deleted_entries, 2);
  assert.equal((await a.dataList({ orgDid: org, scope: 'payroll' })).total, 0);

  // The operator admits the organisation as a tenant; its admins manage it, others cannot.
  const operatorClient = new TenantClient({ baseUrl: url, environment: 'sandbox' });
  const admitted = await operatorClient.admitForOrg({ orgDid: org.slice(8), tenantLabel: 'acme', quotas: {}, storageLocation: {},
    signAdminBody: (body) => operator.signMessage(body) });
  assert.equal(admitted.result.status, 'admitted');
  assert.equal(admitted.result.kind, 'org');
  await assert.rejects(operatorClient.admitForOrg({ orgDid: org, tenantLabel: 'acme', quotas: {}, storageLocation: {},
    signAdminBody: (body) => operator.signMessage(body) }), /TenantExists/, 'an org is admitted once');
  const orgTid = org.slice('did:t3n:'.length);
  const tcCarol = new TenantClient({ t3n: carol.c, baseUrl: url, tenantDid: carol.did, environment: 'sandbox' });
  const orgMap = await tcCarol.maps.create({ tail: 'ledger', visibility: 'private', writers: 'all', readers: 'all' }, { tenantTarget: orgTid });
  assert.equal(orgMap.map_name ?? orgMap.name ?? `z:${orgTid}:ledger`, `z:${orgTid}:ledger`);
  const tcMallory = new TenantClient({ t3n: mallory.c, baseUrl: url, tenantDid: mallory.did, environment: 'sandbox' });
  await assert.rejects(tcMallory.maps.create({ tail: 'stolen', visibility: 'private', writers: 'all', readers: 'all' }, { tenantTarget: orgTid }),
    refusal(/NotTenantAdmin/));
});

// The delegation wire projection: binary fields base64url, the window as decimal strings.
function wire(cred) {
  return { ...cred, agent_pubkey: b64uEncodeBytes(cred.agent_pubkey), vc_id: b64uEncodeBytes(cred.vc_id),
    not_before_secs: String(cred.not_before_secs), not_after_secs: String(cred.not_after_secs) };
}
const jsonSafe = (v) => JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x)));
function envelopeInput(inv) {
  const e = inv.envelope;
  return { envelope: { credential_jcs: b64uEncodeBytes(e.credential_jcs), user_sig: b64uEncodeBytes(e.user_sig),
    agent_sig: b64uEncodeBytes(e.agent_sig), nonce: b64uEncodeBytes(e.nonce), request_hash: b64uEncodeBytes(e.request_hash) },
  request: jsonSafe(inv.request) };
}

test('an agent acts on a user\'s data with a delegation credential until it is revoked; every refusal is typed', async () => {
  const admin = await user(), dave = await user(), agent = await user(), mallory = await user();
  const org = String(await admin.c.createOrganisation('Payroll Co'));
  const a = new OrgDataClient(url, admin.secret, admin.did, { wasmComponent: wasm });
  await a.updateMeta({ orgDid: org, admins: [admin.did], maxCredentialValiditySecs: 3600 });
  await a.setGrants({ orgDid: org, contractId: 'counter', grants: [{ user_did: dave.did, functions: ['remember'], scopes: ['payroll'],
    constraints: { region: 'sg' }, expires_at_secs: null }] });

  const agentKey = ethers.Wallet.createRandom();
  const agentPub = ethers.getBytes(ethers.SigningKey.computePublicKey(agentKey.publicKey, true));
  const now = Math.floor(Date.now() / 1000);
  const cred = buildDelegationCredential({ user_did: dave.did, agent_pubkey: agentPub, org_did: org, contract: 'counter',
    functions: ['remember'], scopes: ['payroll'], metadata: { region: 'sg' }, not_before_secs: now - 60, not_after_secs: now + 600,
    vc_id: randomBytes(16) });
  const jcs = canonicaliseCredential(cred);
  const request = { org_id: org, cycle_id: 'c-2026-11', pay_period_start: '2026-11-01', pay_period_end: '2026-11-30',
    batch_cap_cents: 500000n, historical_baselines: { e1: '420000' } };
  const invoke = (userSig, extra = {}) => buildPayrollInvocation({ credentialJcs: jcs, userSig, vcId: cred.vc_id, nonce: randomBytes(16),
    request, agentSecret: ethers.getBytes(agentKey.privateKey), ...extra });
  const call = (input, fn = 'remember') => agent.c.executeAndDecode({ script_name: 'counter', function_name: fn, input });

  // Signed by the user's own Ethereum key: the agent's call acts on Dave's data.
  const own = signCredential(jcs, dave.secret);
  const inv = envelopeInput(invoke(own.sig));
  const out = await call(inv);
  assert.equal(out.context.caller, dave.did.slice(8), 'the call runs on the credential user\'s data');
  assert.equal(out.context.vc_id, b64uEncodeBytes(cred.vc_id));
  await assert.rejects(call(inv), refusal(/Replay/), 'an envelope is single use');
  await assert.rejects(call(envelopeInput(invoke(own.sig)), 'increment'), refusal(/does not cover function/));
  const tampered = envelopeInput(invoke(own.sig));
  tampered.request.batch_cap_cents = '99999999';
  await assert.rejects(call(tampered), refusal(/RequestHashMismatch/));
  const forged = envelopeInput(invoke(signCredential(jcs, mallory.secret).sig));
  await assert.rejects(call(forged), refusal(/BadUserSignature/));
  const wrongAgent = envelopeInput(invoke(own.sig, { agentSecret: ethers.getBytes(ethers.Wallet.createRandom().privateKey) }));
  await assert.rejects(call(wrongAgent), refusal(/BadAgentSignature/));

  // The audit trail of Dave names the agent and the credential.
  const audit = await dave.c.getAuditEvents({ limit: 10 });
  const delegated = audit.batches.flatMap((b) => b.events).find((e) => e.vc_id === b64uEncodeBytes(cred.vc_id));
  assert.ok(delegated, 'the delegated call is in the user\'s audit trail with its vc_id');
  assert.equal(delegated.subject, dave.did);

  // Signed by the node with Dave's custodial wallet (DelegationCustodialClient).
  const custodial = await new DelegationCustodialClient(dave.c, url).signCustodial(wire(cred));
  assert.deepEqual(Buffer.from(custodial.credentialJcs), Buffer.from(jcs), 'the node signs the same JCS bytes');
  const wallet = await dave.c.executeAndDecode({ script_name: 'tee:user/contracts', function_name: 'get-self-eth-address', input: {} });
  assert.equal(ethers.hexlify(ethRecoverEip191(custodial.credentialJcs, custodial.userSig)), wallet);
  assert.equal((await call(envelopeInput(invoke(custodial.userSig)))).context.caller, dave.did.slice(8));
  await assert.rejects(new DelegationCustodialClient(mallory.c, url).signCustodial(wire(cred)), refusal(/NotCredentialHolder/));
  const tooLong = { ...wire(cred), not_after_secs: String(now + 7200) };
  await assert.rejects(new DelegationCustodialClient(dave.c, url).signCustodial(tooLong), refusal(/ValidityTooLong/), 'the org cap holds');

  // Revocation takes effect at once; only the credential's user may revoke.
  await assert.rejects(revokeDelegation({ client: mallory.c, credentialJcsB64u: b64uEncodeBytes(jcs), baseUrl: url }), refusal(/NotCredentialHolder/));
  const revoked = await revokeDelegation({ client: dave.c, credentialJcsB64u: b64uEncodeBytes(jcs), baseUrl: url });
  assert.equal(revoked.vcId, b64uEncodeBytes(cred.vc_id));
  assert.equal(revoked.revokedFunctions, null);
  await assert.rejects(call(envelopeInput(invoke(own.sig))), refusal(/Revoked/));

  // A grant the org withdrew stops a fresh credential too.
  const cred2 = buildDelegationCredential({ ...cred, vc_id: randomBytes(16), not_before_secs: now - 60, not_after_secs: now + 600 });
  const jcs2 = canonicaliseCredential(cred2);
  const inv2 = () => envelopeInput(buildPayrollInvocation({ credentialJcs: jcs2, userSig: signCredential(jcs2, dave.secret).sig,
    vcId: cred2.vc_id, nonce: randomBytes(16), request, agentSecret: ethers.getBytes(agentKey.privateKey) }));
  assert.equal((await call(inv2())).context.caller, dave.did.slice(8));
  await a.deleteGrants({ orgDid: org, contractId: 'counter' });
  await assert.rejects(call(inv2()), refusal(/NoOrgGrant/));
});
