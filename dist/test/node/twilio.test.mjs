// The official twilio library (npm) against the stateful mock, started with
// startMock from the installed `mimeo` package: every Memory identifier
// operation and a store deletion, checking what the library hands back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { startMock } from 'mimeo';

const STORE = 'mem_store_00000000000000000000000001';
const PROFILE = 'mem_profile_00000000000000000000000001';

// A client whose Memory requests go to the mock: the library keeps the Memory
// host in the domain's baseUrl (lib/rest/MemoryBase.js, lib/base/Domain.js).
function clientFor(mock, accountSid) {
  const client = twilio(accountSid, 'not-a-real-token');
  client.memory.baseUrl = mock.url;
  return client;
}

test('identifiers and store deletion through twilio-node', async (t) => {
  const mock = await startMock({ stateful: true, port: 0 });
  t.after(() => mock.stop());
  assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const memory = clientFor(mock, 'AC00000000000000000000000000000001').memory.v1;
  const ids = memory.identifiers(STORE, PROFILE);

  // Add: values are normalized (email trimmed and lower-cased, phone to E.164).
  const added = await ids.create({ idType: 'email', value: ' Ada@Example.COM ' });
  assert.equal(added.message, 'Identifier accepted for processing.');
  await ids.create({ idType: 'phone', value: '(317) 555-6789' });
  await ids.create({ idType: 'email', value: 'grace@example.com' });

  // List: every idType with its values, in the order they were added.
  const list = await ids.list();
  assert.deepEqual(
    list.map((i) => ({ idType: i.idType, values: i.values })),
    [
      { idType: 'email', values: ['ada@example.com', 'grace@example.com'] },
      { idType: 'phone', values: ['+13175556789'] },
    ],
  );

  // Fetch one idType.
  const email = await memory.identifiers(STORE, PROFILE, 'email').fetch();
  assert.equal(email.idType, 'email');
  assert.deepEqual(email.values, ['ada@example.com', 'grace@example.com']);

  // Modify in place; the new value is normalized too.
  await memory
    .identifiers(STORE, PROFILE, 'email')
    .patch({ idType: 'email', oldValue: 'ada@example.com', newValue: 'ADA@Lovelace.org' });
  assert.deepEqual((await memory.identifiers(STORE, PROFILE, 'email').fetch()).values, [
    'ada@lovelace.org',
    'grace@example.com',
  ]);

  // Modifying to a value the profile already has is the documented 409.
  await assert.rejects(
    memory
      .identifiers(STORE, PROFILE, 'email')
      .patch({ idType: 'email', oldValue: 'ada@lovelace.org', newValue: 'grace@example.com' }),
    (e) => e.status === 409,
  );

  // Remove: one value goes (the oldest, fifo), then removeAll empties phone.
  await memory.identifiers(STORE, PROFILE, 'email').remove();
  assert.deepEqual((await memory.identifiers(STORE, PROFILE, 'email').fetch()).values, ['grace@example.com']);
  await memory.identifiers(STORE, PROFILE, 'phone').remove({ removeAll: true });
  await assert.rejects(memory.identifiers(STORE, PROFILE, 'phone').fetch(), (e) => e.status === 404);
  assert.deepEqual(
    (await ids.list()).map((i) => i.idType),
    ['email'],
  );

  // Delete the store: afterwards everything under it is 404.
  await memory.stores(STORE).remove();
  await assert.rejects(memory.identifiers(STORE, PROFILE, 'email').fetch(), (e) => {
    assert.equal(e.status, 404);
    assert.match(e.message, /deleted/);
    return true;
  });
});

test('a request that breaks the contract gets the 400 naming the rule', async (t) => {
  const mock = await startMock({ stateful: true });
  t.after(() => mock.stop());
  const ids = clientFor(mock, 'AC00000000000000000000000000000002').memory.v1.identifiers(STORE, PROFILE);
  await assert.rejects(ids.create({ idType: '', value: 'x' }), (e) => {
    assert.equal(e.status, 400);
    assert.match(e.message, /idType/);
    return true;
  });
});

test('two account SIDs see separate state (sessions by Basic-auth user)', async (t) => {
  const mock = await startMock({ stateful: true });
  t.after(() => mock.stop());
  const a = clientFor(mock, 'AC0000000000000000000000000000000a').memory.v1;
  const b = clientFor(mock, 'AC0000000000000000000000000000000b').memory.v1;
  await a.identifiers(STORE, PROFILE).create({ idType: 'email', value: 'a@example.com' });
  await b.identifiers(STORE, PROFILE).create({ idType: 'email', value: 'b@example.com' });
  assert.deepEqual((await a.identifiers(STORE, PROFILE, 'email').fetch()).values, ['a@example.com']);
  assert.deepEqual((await b.identifiers(STORE, PROFILE, 'email').fetch()).values, ['b@example.com']);
});

test('rules make the library see the status asked for', async (t) => {
  const mock = await startMock({ rules: ['DELETE /v1/ControlPlane/Stores/*=429'] });
  t.after(() => mock.stop());
  const memory = clientFor(mock, 'AC00000000000000000000000000000003').memory.v1;
  await assert.rejects(memory.stores(STORE).remove(), (e) => e.status === 429);
});
