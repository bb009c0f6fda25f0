// The official T3N SDK against your `make run` node: log in with a fresh
// wallet (SIWE) and call the example counter.   node hello.mjs [node URL]
import { T3nClient, loadWasmComponent, metamask_sign, createEthAuthInput } from '@terminal3/t3n-sdk';
import { ethers } from 'ethers';

const wallet = ethers.Wallet.createRandom();  // or new ethers.Wallet(process.env.T3N_KEY)
const address = wallet.address.toLowerCase();
const client = new T3nClient({
  baseUrl: process.argv[2] ?? 'http://127.0.0.1:8080',
  wasmComponent: await loadWasmComponent(),
  handlers: { EthSign: metamask_sign(address, undefined, wallet.privateKey) },
});
await client.handshake();
console.log('logged in as', (await client.authenticate(createEthAuthInput(address))).toString());
console.log('counter:', await client.executeAndDecode({ script_name: 'counter', function_name: 'increment', input: 5 }));
