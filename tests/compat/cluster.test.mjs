// A 3-member dev cluster of real `t3nd start` processes on 127.0.0.1 (Raft
// over the attested peer links) driven by the official SDK: every member
// serves logins and contract calls (a follower forwards its commits to the
// leader), the leader is killed with SIGKILL during the run and another
// takes over with no acknowledged write lost, and the killed member comes
// back from its own data directory and catches up. Then a Jepsen-style run:
// concurrent SDK clients on every member record a history of increments and
// reads of one counter while the leader is killed and restarted, and
// Porcupine (tests/lincheck) checks that the history is linearizable;
// meanwhile a fault proxy in front of every member delays peer traffic and
// cuts one member's links at a time.
//   node --test tests/compat/cluster.test.mjs     (T3ND=path/to/t3nd, CONTRACTS=dir)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { T3nClient, loadWasmComponent, metamask_sign, createEthAuthInput } from '@terminal3/t3n-sdk';
import { ethers } from 'ethers';

const T3ND = process.env.T3ND;
const LINCHECK = process.env.LINCHECK;
const CONTRACTS = process.env.CONTRACTS;
const N = 3;
let dir, wasm;
const operator = ethers.Wallet.createRandom();  // signs the operator API's membership actions
const members = [];  // { id, toml, child, url, logs }
const extras = [];   // members started by one test (killed at the end too)

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// Resolves with the member's URL once its --ready-fd answers.
function startMember(m) {
  return new Promise((resolve, reject) => {
    const child = spawn(T3ND, ['--ready-fd', '3', 'start', '--config', m.toml, '--contracts', CONTRACTS],
      { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    m.child = child;
    m.logs = '';
    let out = '';
    child.stdout.on('data', (d) => { m.logs += d; });
    child.stderr.on('data', (d) => { m.logs += d; });
    child.stdio[3].on('data', (d) => { out += d; });
    child.stdio[3].on('end', () => {
      if (!out.trim()) { reject(new Error(`member ${m.id} did not start: ${m.logs}`)); return; }
      m.url = out.trim();
      resolve(m.url);
    });
    child.on('error', reject);
  });
}

// A TCP proxy in front of one member's peer port: what its peers dial. It
// can delay every chunk (in order), and cut: close every connection and
// refuse new ones until healed. (Dropping bytes of an AEAD stream breaks
// the link just as a cut does: the next-counter rule refuses what follows.)
const proxies = [];
function startProxy(targetPort) {
  return new Promise((resolve, reject) => {
    const proxy = { port: 0, cut: false, delayMs: 0, sockets: new Set(), cuts: 0 };
    const relay = (from, to) => {
      let chain = Promise.resolve();
      from.on('data', (chunk) => {
        const delay = proxy.delayMs > 0 ? Math.floor(Math.random() * proxy.delayMs) : 0;
        chain = chain.then(() => (delay > 0 ? new Promise((r) => setTimeout(r, delay)) : null))
          .then(() => { if (!to.destroyed) to.write(chunk); });
      });
      from.on('close', () => chain.then(() => to.destroy()));
      from.on('error', () => to.destroy());
    };
    const server = createServer((client) => {
      if (proxy.cut) { client.destroy(); return; }
      const upstream = connect(targetPort, '127.0.0.1');
      for (const sock of [client, upstream]) { proxy.sockets.add(sock); sock.on('close', () => proxy.sockets.delete(sock)); }
      relay(client, upstream);
      relay(upstream, client);
    });
    proxy.setCut = (on) => {
      proxy.cut = on;
      if (on) { proxy.cuts++; for (const sock of proxy.sockets) sock.destroy(); }
    };
    proxy.close = () => { for (const sock of proxy.sockets) sock.destroy(); server.close(); };
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { proxy.port = server.address().port; resolve(proxy); });
  });
}

async function status(m) {
  const r = await fetch(m.url + '/status');
  return r.json();
}

// The cluster's own ready condition: a leader that every live member agrees
// on (checked over /status until `deadline_ms`).
async function agreedLeader(live, deadline_ms = 20000) {
  const until = Date.now() + deadline_ms;
  for (;;) {
    const st = await Promise.all(live.map((m) => status(m).catch(() => null)));
    const leaders = new Set(st.map((s) => s?.leader_id));
    const leader = st.find((s) => s?.raft_role === 'leader');
    if (leader && leaders.size === 1 && !leaders.has(null) && !leaders.has(undefined)) return { leader: leader.member_id, statuses: st };
    if (process.env.DEBUG_CLUSTER) console.log(Date.now() % 100000, JSON.stringify(st.map((s) => s && [s.member_id, s.raft_role, s.leader_id, s.term])));
    if (Date.now() > until) {
      if (process.env.DEBUG_CLUSTER) for (const m of live) console.log(`--- member ${m.id}\n${m.logs.slice(-4000)}`);
      throw new Error('no agreed leader: ' + JSON.stringify(st.map((s) => s && [s.member_id, s.raft_role, s.leader_id])));
    }
    await new Promise((r) => setTimeout(r, 10));  // poll pacing, not a wait for an event
  }
}

async function login(m) {
  const wallet = ethers.Wallet.createRandom();
  const address = wallet.address.toLowerCase();
  const client = new T3nClient({ baseUrl: m.url, wasmComponent: wasm, handlers: { EthSign: metamask_sign(address, undefined, wallet.privateKey) } });
  await client.handshake();
  await client.authenticate(createEthAuthInput(address));
  return client;
}

const increment = (client, by) => client.executeAndDecode({ script_name: 'counter', function_name: 'increment', input: by });

before(async () => {
  assert.ok(T3ND && CONTRACTS, 'T3ND and CONTRACTS must be set');
  dir = mkdtempSync(join(tmpdir(), 't3n-cluster-'));
  wasm = await loadWasmComponent();
  const peerPorts = [];
  for (let i = 0; i < N; i++) peerPorts.push(await freePort());
  // Every member is reached through its fault proxy: the configuration
  // lists the proxies' ports, each member listens on its own.
  for (let i = 0; i < N; i++) proxies.push(await startProxy(peerPorts[i]));
  const bootstrap = (process.env.NOPROXY ? peerPorts.map((port) => ({ port })) : proxies).map((p, i) => `"${i + 1}@127.0.0.1:${p.port}"`).join(', ');
  for (let i = 1; i <= N; i++) {
    const data = join(dir, `member-${i}`);
    const toml = join(dir, `member-${i}.toml`);
    writeFileSync(toml, `[node]\nid = "node-${i}"\ndata_dir = "${data}"\ndev = true\n\n[api]\nhost = "127.0.0.1"\nport = 0\n\n` +
      `[admin]\noperator_addresses = ["${operator.address.toLowerCase()}"]\n\n` +
      `[cluster]\nmember_id = ${i}\npeer_host = "127.0.0.1"\npeer_port = ${peerPorts[i - 1]}\nbootstrap = [${bootstrap}]\n` +
      // Snapshots every 16 log entries: the runs below compact the log many times.
      `snapshot_entries = ${process.env.SNAP ?? 16}\n`);
    members.push({ id: i, toml });
  }
  await Promise.all(members.map(startMember));
});

after(() => {
  for (const m of [...members, ...extras]) m.child?.kill('SIGKILL');
  for (const p of proxies) p.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let total = 0;  // what every acknowledged increment adds up to

test('every member reports the same leader, term and membership', async () => {
  const { leader, statuses } = await agreedLeader(members);
  assert.equal(statuses.filter((s) => s.raft_role === 'leader').length, 1);
  assert.equal(new Set(statuses.map((s) => s.term)).size, 1);
  for (const s of statuses) {
    assert.equal(s.replicated, true);
    assert.deepEqual(s.members.map((x) => x.id).sort(), [1, 2, 3]);
    assert.ok(s.members.every((x) => x.role === 'voter'));
    assert.equal(s.members.find((x) => x.leader).id, leader);
  }
});

test('the TEE registry on every member lists all three members as verified (simulated evidence)', async () => {
  // The leader writes it on its upkeep pass (about once a second).
  const until = Date.now() + 20000;
  for (;;) {
    const regs = await Promise.all(members.map(async (m) => (await fetch(m.url + '/api/tee-registry')).json()));
    const complete = regs.every((r) => r.replicated && r.members.length === 3 && r.members.every((x) => x.status === 'verified'));
    if (complete) {
      for (const r of regs) {
        assert.deepEqual(r.members.map((x) => x.member_id), [1, 2, 3]);
        assert.ok(r.members.every((x) => x.provider === 'simulated' && x.expires_at_ms > x.verified_at_ms));
      }
      const tdx = await (await fetch(members[0].url + '/api/tee-registry?tee_type=IntelTdx')).json();
      assert.deepEqual(tdx.members, []);
      return;
    }
    if (Date.now() > until) throw new Error('TEE registry incomplete: ' + JSON.stringify(regs));
    await new Promise((r) => setTimeout(r, 50));  // poll pacing
  }
});

test('the SDK logs in and calls contracts on every member, follower or leader', async () => {
  for (const m of members) {
    const client = await login(m);
    const before = total;
    total += 5;
    assert.equal(await increment(client, 5), before + 5, `member ${m.id}`);
  }
});

test('the leader killed with SIGKILL: another takes over and no acknowledged write is lost', async () => {
  const { leader } = await agreedLeader(members);
  const victim = members.find((m) => m.id === leader);
  const live = members.filter((m) => m !== victim);
  // Sessions are node-local: a client of the victim logs in again elsewhere.
  const clients = await Promise.all(live.map(login));
  total += 1;
  assert.equal(await increment(clients[0], 1), total);
  victim.child.kill('SIGKILL');
  await new Promise((r) => victim.child.once('exit', r));
  const { leader: next } = await agreedLeader(live);
  assert.notEqual(next, leader);
  for (const c of clients) {
    total += 2;
    assert.equal(await increment(c, 2), total);
  }
});

test('the killed member restarts from its data directory and catches up', async () => {
  const victim = members.find((m) => m.child.exitCode !== null || m.child.signalCode !== null);
  await startMember(victim);
  await agreedLeader(members);
  const client = await login(victim);  // its first commit waits until it applied what the leader has
  total += 3;
  assert.equal(await increment(client, 3), total);
  const st = await Promise.all(members.map(status));
  assert.ok(st.every((s) => s.replicated && s.members.length === 3));
});

test('a follower down while the log is compacted comes back and catches up', async () => {
  const { leader } = await agreedLeader(members);
  const follower = members.find((m) => m.id !== leader);
  const writer = await login(members.find((m) => m.id === leader));
  follower.child.kill('SIGKILL');
  await new Promise((r) => follower.child.once('exit', r));
  for (let k = 0; k < 40; k++) {  // past two snapshots and the two entries kept behind them
    total += 1;
    assert.equal(await increment(writer, 1), total);
  }
  const lead = await status(members.find((m) => m.id === leader));
  assert.ok(lead.snapshot.taken >= 2 && lead.snapshot.index > 0, JSON.stringify(lead.snapshot));
  assert.ok(lead.snapshot.log_first > 1, 'the leader dropped the log behind its snapshot');
  await startMember(follower);
  await agreedLeader(members);
  const client = await login(follower);
  total += 1;
  assert.equal(await increment(client, 1), total);  // it sees every write it missed
  const st = await status(follower);
  // It loaded its own snapshot at restart; whether it then catches up from
  // the leader's log tail or an installed snapshot depends on where it
  // stopped (the fetch over the peer links: test_cluster_member.cpp).
  assert.ok(st.snapshot.restored >= 1, JSON.stringify(st.snapshot));
});

async function admin(m, body) {
  const { nonce } = await (await fetch(m.url + '/api/admin/nonce', { method: 'POST' })).json();
  const text = JSON.stringify({ ...body, nonce });
  const res = await fetch(m.url + '/api/admin', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'x-admin-signature': await operator.signMessage(text) }, body: text,
  });
  return { status: res.status, body: await res.json() };
}

test('a fourth member started without bootstrap is added by the operator, catches up, votes, and is removed', async () => {
  const { leader } = await agreedLeader(members);
  const lead = members.find((m) => m.id === leader);
  const peerPort = await freePort();
  const data = join(dir, 'member-4');
  const toml = join(dir, 'member-4.toml');
  writeFileSync(toml, `[node]\nid = "node-4"\ndata_dir = "${data}"\ndev = true\n\n[api]\nhost = "127.0.0.1"\nport = 0\n\n` +
    `[admin]\noperator_addresses = ["${operator.address.toLowerCase()}"]\n\n` +
    `[cluster]\nmember_id = 4\npeer_host = "127.0.0.1"\npeer_port = ${peerPort}\nsnapshot_entries = 16\n`);
  const joiner = { id: 4, toml };
  extras.push(joiner);
  const ready = startMember(joiner);  // ready once it has the cluster's start-up state
  // Refused: unsigned, on a follower, and a member nobody runs.
  const follower = members.find((m) => m.id !== leader);
  const notLeader = await admin(follower, { action: 'cluster.add', member_id: 4, peer_address: `127.0.0.1:${peerPort}` });
  assert.equal(notLeader.status, 412);
  assert.match(notLeader.body.error, /runs on the leader/);
  const nobody = await admin(lead, { action: 'cluster.add', member_id: 5, peer_address: `127.0.0.1:${await freePort()}` });
  assert.equal(nobody.status, 412);
  assert.match(nobody.body.error, /attested peer link/);
  // Until the new process listens, the leader cannot reach it.
  let added;
  for (const until = Date.now() + 20000; ;) {
    added = await admin(lead, { action: 'cluster.add', member_id: 4, peer_address: `127.0.0.1:${peerPort}` });
    if (added.status === 200 || Date.now() > until || !/no link|attested peer link/.test(added.body.error ?? '')) break;
    await new Promise((r) => setTimeout(r, 100));  // poll pacing
  }
  assert.equal(added.status, 200, JSON.stringify(added.body));
  await ready;
  const client = await login(joiner);
  total += 1;
  assert.equal(await increment(client, 1), total);  // it has every earlier write, and commits
  const st = await status(lead);
  assert.equal(st.members.find((x) => x.id === 4)?.role, 'voter');
  const mine = await status(joiner);
  assert.ok(mine.snapshot.restored >= 1, 'it caught up from a snapshot: ' + JSON.stringify(mine.snapshot));
  const removed = await admin(lead, { action: 'cluster.remove', member_id: 4 });
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  assert.deepEqual((await status(lead)).members.map((x) => x.id).sort(), [1, 2, 3]);
  joiner.child.kill('SIGKILL');
  await new Promise((r) => joiner.child.once('exit', r));
});

test('leadership moves to the member the operator names', async () => {
  const { leader } = await agreedLeader(members);
  const target = members.find((m) => m.id !== leader);
  const moved = await admin(members.find((m) => m.id === leader), { action: 'cluster.transfer', member_id: target.id });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  assert.equal(moved.body.result.leader_id, target.id);
  const { leader: now } = await agreedLeader(members);
  assert.equal(now, target.id);
});

test('concurrent clients across a leader kill and restart: the history is linearizable (Porcupine)', async () => {
  assert.ok(LINCHECK, 'LINCHECK (tests/lincheck binary) must be set');
  const { leader } = await agreedLeader(members);
  const clients = [];
  for (const m of members) for (let k = 0; k < 2; k++) clients.push({ member: m, client: await login(m) });
  const get = (c) => c.executeAndDecode({ script_name: 'counter', function_name: 'get' });
  const initial = Number(await get(clients[0].client));
  const t0 = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - t0);
  const history = [];
  const opsPerClient = Number(process.env.T3N_CLUSTER_OPS ?? 24);  // make soak: more
  let done = 0;
  let killed = null;
  const victim = members.find((m) => m.id === leader);
  let nextId = clients.length + 1;  // a client that lost its node continues under a new id
  const alive = (m) => m.child.exitCode === null && m.child.signalCode === null;
  const run = async (idx) => {
    let { client, member } = clients[idx];
    let id = idx;
    for (let i = 0; i < opsPerClient; i++) {
      const increment = (idx + i) % 3 !== 0;
      const by = 1 + ((idx * 7 + i) % 5);
      const rec = { client: id, op: increment ? 'increment' : 'get', by: increment ? by : 0, value: 0, call: now(), return: 0, ok: false };
      try {
        rec.value = Number(increment ? await increment_(client, by) : await get(client));
        rec.ok = true;
      } catch (e) {
        rec.ok = false;  // outcome unknown: may or may not have taken effect
        // What certainly did not take effect constrains nothing and is left
        // out (keeping the check tractable): a failed read, and a write that
        // never reached a member, was refused before it was proposed, or
        // lost its conflict retries (nothing committed).
        // (Wrongly leaving out a write that did happen could only make the
        // check fail, never pass.)
        const why = `${e?.message ?? e} ${e?.cause?.code ?? ''} ${e?.cause?.message ?? ''}`;
        rec.why = why.slice(0, 160);
        rec.dropped = !increment || (/ECONNREFUSED|not committed|not the leader|conflict on map/.test(why) && !/outcome unknown/.test(why));
      }
      rec.return = now();
      if (!rec.dropped) history.push(rec);
      if (!rec.ok) {
        // Log in again on a live member (its own node may be the one killed).
        id = nextId++;
        for (let attempt = 0; ; attempt++) {
          member = members.filter(alive)[(idx + attempt) % members.filter(alive).length];
          try {
            client = await login(member);
            break;
          } catch (e) {
            if (attempt > 50) throw e;
          }
        }
        continue;
      }
      if (++done === Math.floor((clients.length * opsPerClient) / 3) && !killed) {
        killed = new Promise((r) => victim.child.once('exit', r));
        victim.child.kill('SIGKILL');
      }
    }
  };
  const increment_ = (client, by) => increment(client, by);
  // The fault injector: peer traffic delayed by up to 15 ms per chunk, and
  // every 400 ms one member's links cut for 150 ms (a partition from its
  // peers), round robin, while the clients run and the leader is killed.
  let faults = true;
  for (const p of proxies) p.delayMs = 15;
  const injector = (async () => {
    for (let k = 0; faults; k++) {
      await new Promise((r) => setTimeout(r, 400));
      if (!faults) break;
      const p = proxies[k % proxies.length];
      p.setCut(true);
      await new Promise((r) => setTimeout(r, 150));
      p.setCut(false);
    }
  })();
  await Promise.all(clients.map((_, i) => run(i)));
  faults = false;
  await injector;
  for (const p of proxies) p.delayMs = 0;
  assert.ok(proxies.reduce((a, p) => a + p.cuts, 0) >= 1, 'links were cut during the run');
  assert.ok(killed, 'the leader was killed during the run');
  await killed;
  await startMember(victim);
  await agreedLeader(members);
  // After the restart a read on the restarted member completes the history.
  const reader = await login(victim);
  const finalCall = now();
  const final = Number(await get(reader));
  history.push({ client: clients.length, op: 'get', by: 0, value: final, call: finalCall, return: now(), ok: true });
  const file = join(dir, 'history.jsonl');
  writeFileSync(file, [JSON.stringify({ init: initial }), ...history.map((h) => JSON.stringify(h))].join('\n') + '\n');
  const checked = spawnSync(LINCHECK, [file], { encoding: 'utf8' });
  const whys = [...new Set(history.filter((h) => !h.ok).map((h) => h.why))];
  assert.equal(checked.status, 0, `lincheck: ${checked.stdout}${checked.stderr}\nunknown outcomes: ${JSON.stringify(whys)}`);
  assert.match(checked.stdout, /^linearizable: /);
  console.log(`# ${checked.stdout.trim()}; final ${final}`);
  // Acknowledged increments are all in the final value (none lost); unknown
  // ones may or may not be.
  const acked = history.filter((h) => h.ok && h.op === 'increment').reduce((a, h) => a + h.by, 0);
  const unknown = history.filter((h) => !h.ok && h.op === 'increment').reduce((a, h) => a + h.by, 0);
  assert.ok(final >= initial + acked && final <= initial + acked + unknown, `final ${final}, initial ${initial}, acked ${acked}, unknown ${unknown}`);
  total = final;
});
