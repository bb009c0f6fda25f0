// The official SDK's TenantClient against a real `t3nd dev`: a tenant goes
// from an empty node to a running contract with seeded secrets and metered
// calls (claim, maps, multipart upload, map-put, execute, logs, disable /
// enable, unregister, getUsage), and everything it must not do is refused:
// another tenant's maps and contracts, a reader not on the ACL, a call it
// cannot pay for, the operator API without the operator's key or with a
// used nonce. A second node admits tenants only through the operator API.
//   node --test tests/compat/tenant.test.mjs     (T3ND=path/to/t3nd, CONTRACTS=dir)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { T3nClient, TenantClient, loadWasmComponent, metamask_sign, createEthAuthInput } from '@terminal3/t3n-sdk';
import { ethers } from 'ethers';
import { startDevNode } from './dev_node.mjs';

const T3ND = process.env.T3ND;
const CONTRACTS = process.env.CONTRACTS;
const SECRET = 'sk-live-MARKER-' + Math.random().toString(36).slice(2) + '-never-in-plaintext';
const operator = ethers.Wallet.createRandom();
let dir, wasm, app;
const nodes = [];

async function startNode(name, extra = []) {
  const node = await startDevNode(T3ND, ['--data', join(dir, name), '--contracts', CONTRACTS, '--admin-address', operator.address, ...extra],
    ['--log-level', 'debug']);
  nodes.push(node);
  return node;
}

async function tenantOf(node, wallet = ethers.Wallet.createRandom()) {
  const addr = wallet.address.toLowerCase();
  const t3n = new T3nClient({ baseUrl: node.url, wasmComponent: wasm, handlers: { EthSign: metamask_sign(addr, undefined, wallet.privateKey) } });
  await t3n.handshake();
  const did = (await t3n.authenticate(createEthAuthInput(addr))).toString();
  const tc = new TenantClient({ t3n, baseUrl: node.url, tenantDid: did, environment: 'sandbox' });
  return { t3n, tc, did, tid: did.slice('did:t3n:'.length), wallet };
}

// One signed operator call, as the SDK's admitForOrg sends it.
async function admin(node, body, { signer = operator, nonce } = {}) {
  const n = nonce ?? (await (await fetch(node.url + '/api/admin/nonce', { method: 'POST' })).json()).nonce;
  const text = JSON.stringify({ ...body, nonce: n });
  const res = await fetch(node.url + '/api/admin', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'x-admin-signature': await signer.signMessage(text) }, body: text,
  });
  return { status: res.status, body: await res.json(), nonce: n };
}

before(async () => {
  assert.ok(T3ND && CONTRACTS, 'set T3ND and CONTRACTS');
  dir = mkdtempSync(join(tmpdir(), 't3n-tenant-'));
  wasm = await loadWasmComponent();
  app = readFileSync(join(CONTRACTS, 'tenant-app.wasm'));
});

after(() => {
  for (const n of nodes) n.child.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a tenant goes from an empty dev node to a running, metered contract with seeded secrets, using only the SDK', async () => {
  const node = await startNode('dev');
  const status = await (await fetch(node.url + '/status')).json();
  assert.equal(status.metering, 'on');
  const tenantVersion = await (await fetch(node.url + '/api/contracts/current?name=tee:tenant/contracts')).json();
  assert.equal(tenantVersion.current_version, '1.0.0');

  const { t3n, tc, did, tid } = await tenantOf(node);
  const claim = await tc.tenant.claim();
  assert.equal(claim.status, 'admitted');
  assert.equal(claim.tenant, did);
  assert.equal(claim.granted_credits, 100_000_000);
  assert.equal((await tc.tenant.claim()).status, 'already-admitted');
  const me = await tc.tenant.me();
  assert.equal(me.status, 'active');
  assert.equal(me.tenant, did);
  assert.match(me.eth_address, /^0x[0-9a-f]{40}$/);

  const reg = await tc.contracts.register({ tail: 'app', version: '1.0.0', wasm: new Uint8Array(app), source_hash: '00'.repeat(32) });
  assert.equal(reg.name, `z:${tid}:app`);
  assert.ok(Number.isInteger(reg.contract_id) && reg.contract_id > 0);
  const reg2 = await tc.contracts.register({ tail: 'app', version: '1.1.0', wasm: new Uint8Array(app) });
  assert.equal(reg2.contract_id, reg.contract_id, 'a name keeps its contract id across versions');
  const current = await (await fetch(node.url + `/api/contracts/current?name=z:${tid}:app`)).json();
  assert.equal(current.current_version, '1.1.0');

  const secrets = await tc.maps.create({ tail: 'secrets', visibility: 'private', writers: { only: [reg.contract_id] }, readers: { only: [reg.contract_id] } });
  assert.equal(secrets.name, `z:${tid}:secrets`);
  assert.deepEqual(secrets.readers, { only: [reg.contract_id] });
  await tc.maps.create({ tail: 'state', visibility: 'private', writers: 'all', readers: 'all', keyValidator: { charset: 'alnum' } });
  await assert.rejects(tc.maps.create({ tail: 'state', visibility: 'private', writers: 'all' }), /MapExists/);
  // The tenant seeds its API key (a function of tee:tenant, restricted to its own maps).
  const put = await tc.executeControl('map-put', { map_name: `z:${tid}:secrets`, key: 'api_key', value: SECRET });
  assert.equal(put.size, SECRET.length);

  const quote = await tc.contracts.execute('app', { version: '1.1.0', functionName: 'quote', input: 'Paris' });
  assert.equal(quote, `Paris: 42 (key ok, ${SECRET.length} bytes)`);
  assert.equal(await t3n.executeAndDecode({ script_name: `z:${tid}:app`, function_name: 'secret-matches', input: SECRET }), true);

  // Private values go back to no one: not through map-get, not in an error.
  await assert.rejects(tc.executeControl('map-get', { map_name: `z:${tid}:secrets`, key: 'api_key' }),
    (e) => /NotAdminReadable/.test(e.message) && !e.message.includes(SECRET));
  await tc.maps.update('secrets', { adminReadable: true });
  assert.equal((await tc.executeControl('map-get', { map_name: `z:${tid}:secrets`, key: 'api_key' })).value, SECRET);
  await tc.executeControl('map-put', { map_name: 'secrets', key: 'old_key', value: 'x' });  // a bare tail works too
  assert.deepEqual(await tc.executeControl('map-remove', { map_name: 'secrets', key: 'old_key' }), { map_name: `z:${tid}:secrets`, removed: true });
  assert.equal((await tc.executeControl('map-get', { map_name: 'secrets', key: 'old_key' })).value, null);
  await tc.maps.update('secrets', { adminReadable: false });

  const logs = await tc.contracts.logs('app');
  assert.ok(logs.entries.some((e) => e.level === 'info' && e.message === 'quote for Paris'), JSON.stringify(logs));
  assert.ok(logs.entries.every((e) => !e.message.includes(SECRET)));
  const errorsOnly = await tc.contracts.logs('app', { minLevel: 'error' });
  assert.ok(errorsOnly.entries.every((e) => e.level === 'error'));
  await assert.rejects(tc.contracts.execute('app', { version: '1.1.0', functionName: 'fail-loudly' }), /failed on purpose/);
  const after = await tc.contracts.logs('app', { sinceSeq: 0, limit: 100 });
  assert.ok(after.entries.some((e) => e.level === 'error' && e.message === 'failing on purpose'), 'a failed call keeps its log lines');

  await tc.contracts.disable('app');
  await assert.rejects(tc.contracts.execute('app', { version: '1.1.0', functionName: 'quote', input: 'Oslo' }), /ContractDisabled/);
  await tc.contracts.enable('app');
  await tc.contracts.execute('app', { version: '1.1.0', functionName: 'quote', input: 'Oslo' });

  const usage = await tc.token.getUsage({ limit: 50 });
  const reasons = usage.entries.map((e) => e.kind === 'charge' ? e.reason.kind : e.kind);
  assert.ok(reasons.includes('mint'), reasons.join());
  assert.equal(reasons.filter((r) => r === 'contract_register').length, 2);
  assert.ok(reasons.includes('invocation'));
  assert.ok(reasons.includes('kv_bytes'));
  const inv = usage.entries.find((e) => e.reason?.kind === 'invocation');
  assert.equal(inv.reason.script_name, `z:${tid}:app`);
  assert.ok(inv.reason.fuel_consumed > 0 && inv.reason.host_call_count > 0);
  const charged = usage.entries.filter((e) => e.kind === 'charge').reduce((a, e) => a + e.amount, 0);
  assert.equal(usage.balance.available, 100_000_000 - charged);
  // The contract reads its tenant's balance through host:interfaces/token, and no one else's.
  const seen = await tc.contracts.execute('app', { version: '1.1.0', functionName: 'balance' });
  assert.ok(seen > 0 && seen <= usage.balance.available, `${seen} vs ${usage.balance.available}`);
  const otherAccount = Array.from(Buffer.from('ab'.repeat(20), 'hex'));
  assert.equal(await tc.contracts.execute('app', { version: '1.1.0', functionName: 'peek-balance', input: otherAccount }), 'not-authorised');
  const page = await tc.token.getUsage({ limit: 2 });
  assert.equal(page.entries.length, 2);
  const next = await tc.token.getUsage({ limit: 2, after_seq: page.next_cursor });
  assert.ok(next.entries[0].seq_no < page.entries[1].seq_no);

  // A second contract of the same tenant, not on the secrets ACL, cannot read them.
  const other = await tc.contracts.register({ tail: 'other', version: '1.0.0', wasm: new Uint8Array(app) });
  assert.notEqual(other.contract_id, reg.contract_id);
  await assert.rejects(tc.contracts.execute('other', { version: '1.0.0', functionName: 'quote', input: 'Rome' }), /may not read/);
  await tc.maps.update('secrets', { readers: { only: [reg.contract_id, other.contract_id] } });
  await tc.contracts.execute('other', { version: '1.0.0', functionName: 'quote', input: 'Rome' });

  // Another tenant reaches none of it.
  const mallory = await tenantOf(node);
  await mallory.tc.tenant.claim();
  await assert.rejects(mallory.tc.maps.update('secrets', { readers: 'all' }, { tenantTarget: tid }), /NotTenantAdmin/);
  await assert.rejects(mallory.tc.executeControl('map-put', { map_name: `z:${tid}:secrets`, key: 'api_key', value: 'x' }), /NotTenantAdmin/);
  await assert.rejects(mallory.tc.executeControl('contract-disable', { name: `z:${tid}:app` }), /NotTenantAdmin/);
  await assert.rejects(mallory.tc.executeControl('contract-logs', { contract_name: `z:${tid}:app` }), /NotTenantAdmin/);
  const hijack = await mallory.tc.contracts.register({ tail: 'app', version: '9.0.0', wasm: new Uint8Array(app) });
  assert.equal(hijack.name, `z:${mallory.tid}:app`, 'a tail lands in the caller\'s own namespace');

  // Out of credit: nothing runs, nothing is charged.
  const before = await tc.token.getUsage({ limit: 200 });
  const drain = await admin(node, { action: 'token.transfer', from: did, to: mallory.did, amount: before.balance.available });
  assert.equal(drain.status, 200, JSON.stringify(drain.body));
  await assert.rejects(tc.contracts.execute('app', { version: '1.1.0', functionName: 'quote', input: 'Lima' }),
    /InsufficientCredit \(account=did:t3n:[0-9a-f]{40}, required=\d+, available=0\)/);
  const stillDrained = await tc.token.getUsage({ limit: 200 });
  assert.equal(stillDrained.entries.filter((e) => e.kind === 'charge').length, before.entries.filter((e) => e.kind === 'charge').length);
  assert.equal(stillDrained.balance.available, 0);
  assert.equal((await admin(node, { action: 'token.transfer', to: did, amount: 5_000_000 })).status, 200);
  await tc.contracts.execute('app', { version: '1.1.0', functionName: 'quote', input: 'Lima' });

  await tc.maps.delete('state');
  await assert.rejects(tc.contracts.execute('app', { version: '1.1.0', functionName: 'quote', input: 'Kyiv' }), /may not write|does not exist/);
  await tc.contracts.unregister('app');
  await assert.rejects(tc.contracts.execute('app', { version: '1.1.0', functionName: 'quote', input: 'Kyiv' }), /no contract/);
  assert.equal((await fetch(node.url + `/api/contracts/current?name=z:${tid}:app`)).status, 404);
  const again = await tc.contracts.register({ tail: 'app', version: '2.0.0', wasm: new Uint8Array(app) });
  assert.equal(again.contract_id, reg.contract_id, 'an unregistered name keeps its id for its tenant');

  // The secret reached no log line and no file in plaintext.
  assert.ok(!node.logs.includes(SECRET), 'the secret is in the node log');
  const marker = Buffer.from(SECRET);
  const scan = (p) => {
    for (const f of readdirSync(p)) {
      const q = join(p, f);
      if (statSync(q).isDirectory()) scan(q);
      else assert.ok(!readFileSync(q).includes(marker), `the secret is in plaintext in ${q}`);
    }
  };
  scan(join(dir, 'dev'));
});

test('the operator API: signed by an operator key, single-use fresh nonces, known actions only', async () => {
  const node = nodes[0] ?? await startNode('dev-admin');
  const stranger = ethers.Wallet.createRandom();
  const { did } = await tenantOf(node);
  const wrong = await admin(node, { action: 'token.transfer', to: did, amount: 1 }, { signer: stranger });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.code, 'wrong_signer');
  const ok = await admin(node, { action: 'token.transfer', to: did, amount: 7 });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.result.to_available, 7);
  const reused = await admin(node, { action: 'token.transfer', to: did, amount: 7 }, { nonce: ok.nonce });
  assert.equal(reused.status, 409);
  assert.equal(reused.body.code, 'bad_nonce');
  const made_up = await admin(node, { action: 'token.transfer', to: did, amount: 7 }, { nonce: 'ab'.repeat(32) });
  assert.equal(made_up.status, 409);
  const unknown = await admin(node, { action: 'cluster.destroy' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.code, 'unknown_action');
  // A body changed after signing is not the operator's.
  const n = (await (await fetch(node.url + '/api/admin/nonce', { method: 'POST' })).json()).nonce;
  const signed = JSON.stringify({ action: 'token.transfer', to: did, amount: 1, nonce: n });
  const sig = await operator.signMessage(signed);
  const tampered = await fetch(node.url + '/api/admin', { method: 'POST', headers: { 'x-admin-signature': sig },
    body: signed.replace('"amount":1', '"amount":9000000') });
  assert.equal(tampered.status, 401);
  // The SDK's admitForOrg is sent as the node expects; no organisation exists yet, so it is refused clearly.
  const tc = new TenantClient({ baseUrl: node.url, environment: 'sandbox' });
  await assert.rejects(tc.admitForOrg({ orgDid: 'ef'.repeat(20), tenantLabel: 'acme', quotas: {}, storageLocation: {},
    signAdminBody: (body) => operator.signMessage(body) }), /OrgPolicyMissing|412/);
});

test('a node without self-admission admits tenants only through the operator API', async () => {
  const node = await startNode('closed', ['--no-self-admit']);
  const { tc, did, tid } = await tenantOf(node);
  await assert.rejects(tc.tenant.claim(), /AdmissionClosed/);
  await assert.rejects(tc.contracts.register({ tail: 'app', version: '1.0.0', wasm: new Uint8Array(app) }), /NotATenant/);
  const admitted = await admin(node, { action: 'tenant.admit', tenant: did, label: 'acme', credits: 3_000_000 });
  assert.equal(admitted.status, 200, JSON.stringify(admitted.body));
  assert.equal(admitted.body.result.status, 'admitted');
  assert.equal((await tc.tenant.claim()).status, 'already-admitted');
  const me = await tc.tenant.me();
  assert.equal(me.label, 'acme');
  const reg = await tc.contracts.register({ tail: 'app', version: '1.0.0', wasm: new Uint8Array(app) });
  assert.equal(reg.name, `z:${tid}:app`);
  const again = await admin(node, { action: 'tenant.admit', tenant: did });
  assert.equal(again.body.result.status, 'already-admitted');
});
