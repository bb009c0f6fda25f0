// A T3N contract in JavaScript: counts greetings per name in the tenant's map.
import { get, put } from 'host:interfaces/kv-store@2.1.0';
import { tenantDid } from 'host:tenant/tenant-context@1.0.0';

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const mapName = () => `z:${hex(tenantDid())}:greetings`;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function readCount(name) {
  const value = get(mapName(), encoder.encode(name));
  return value === undefined ? 0n : BigInt(decoder.decode(value));
}

export const contracts = {
  greet(name) {
    if (name.length === 0 || name.length > 64) throw 'name must be 1..64 characters';
    const n = readCount(name) + 1n;
    put(mapName(), encoder.encode(name), encoder.encode(n.toString()));
    return `Hello, ${name}! (greeting #${n})`;
  },
  count(name) {
    return readCount(name);
  },
};
