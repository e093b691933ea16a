// Connects to respd with node-redis and ioredis, each with its default
// handshake and with RESP3 (HELLO 3), and checks a few round trips.
// Usage: node check.mjs PORT. Exits 0 when every check passed.
import { createClient } from 'redis';
import Redis from 'ioredis';

const port = Number(process.argv[2]);
const fail = (msg) => { console.error(`FAIL ${msg}`); process.exit(1); };
const expectEq = (what, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
};

for (const resp of [undefined, 3]) {
  const opts = { url: `redis://127.0.0.1:${port}` };
  if (resp) opts.RESP = resp;
  const c = createClient(opts);
  c.on('error', (e) => fail(`node-redis (RESP ${resp ?? 'default'}): ${e}`));
  await c.connect();
  await c.set('nr:key', 'v1', { PX: 100000 });
  expectEq('node-redis GET', await c.get('nr:key'), 'v1');
  expectEq('node-redis INCR', await c.incr('nr:n'), 1);
  expectEq('node-redis MGET', await c.mGet(['nr:key', 'nr:none']), ['v1', null]);
  await c.del(['nr:key', 'nr:n']);
  await c.quit();
}

for (const protocol of [undefined, 3]) {
  const opts = { port, host: '127.0.0.1', maxRetriesPerRequest: 1 };
  if (protocol) opts.protocol = protocol;
  const r = new Redis(opts);
  r.on('error', (e) => fail(`ioredis (protocol ${protocol ?? 'default'}): ${e}`));
  await r.set('io:key', 'v2', 'EX', 100);
  expectEq('ioredis GET', await r.get('io:key'), 'v2');
  expectEq('ioredis TTL > 0', (await r.ttl('io:key')) > 0, true);
  const pipe = await r.pipeline().set('io:a', '1').incr('io:a').get('io:a').exec();
  expectEq('ioredis pipeline', pipe.map(([e, v]) => v), ['OK', 2, '2']);
  await r.del('io:key', 'io:a');
  await r.quit();
}
console.log('OK');
