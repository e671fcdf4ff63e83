'use strict';
// Issue 21, problem 4: input is never lost. Keys and speech that arrive while a turn
// request is pending are queued and sent as the next turn — all keys as one dtmf event.
// The function is made to answer 800 ms (fake) late so that input can arrive meanwhile.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useStack, session, answered } = require('./helpers');

const local = useStack();

function slowTurns(state) {
  return (url) => (state.slow && url.endsWith('/v1/turn') ? { delayMs: 800 } : 'pass');
}

test('keys pressed while a turn is pending are sent as one dtmf turn after the answer', async () => {
  const state = { slow: false };
  const env = session(local, { network: slowTurns(state) });
  const call = await answered(env);
  await env.playOut();
  state.slow = true;
  await env.press('1', 200); // sent at once; the answer takes 800 ms
  await env.press('23', 200); // pressed while it is pending
  assert.deepEqual(env.turns().map((t) => t.body.event), [{ type: 'call_started' }, { type: 'dtmf', digits: '1' }]);
  await env.runUntil(() => env.turns().length === 3, 'the queued keys to be sent', 30000);
  assert.deepEqual(env.turns()[2].body.event, { type: 'dtmf', digits: '23' });
  assert.equal(env.turns()[2].body.seq, 2);
  assert.ok(call.said.length >= 2, 'the answer to "1" was played first');
  await env.runUntil(() => env.turns()[2].done, 'its answer', 5000);
  assert.equal(env.turns()[2].code, 200);
  assert.ok(env.log.some((m) => /key 2 queued/.test(m)) && env.log.some((m) => /key 3 queued/.test(m)), 'each queued key is logged');
});

test('speech while a turn is pending is sent as the next turn', async () => {
  const state = { slow: false };
  const env = session(local, { network: slowTurns(state) });
  await answered(env);
  await env.playOut();
  state.slow = true;
  await env.callerSays('нам нужна система учета', { speechMs: 1200 });
  await env.callerSays('для склада', { speechMs: 500 }); // while the first is pending
  assert.equal(env.turns().length, 2);
  await env.runUntil(() => env.turns().length === 3, 'the queued speech to be sent', 30000);
  const event = env.turns()[2].body.event;
  assert.equal(event.type, 'utterance');
  assert.equal(event.text, 'для склада');
  assert.equal(event.confidence, 0.93);
  assert.equal(env.turns()[2].body.seq, 2);
});

test('input queued when the answer ends the call is logged, not sent', async () => {
  const state = { slow: false };
  const env = session(local, { network: slowTurns(state) });
  await answered(env);
  await env.playOut();
  state.slow = true;
  await env.callerSays('больше не звоните', { speechMs: 800 });
  await env.press('5');
  await env.endReport();
  assert.equal(env.turns().length, 2);
  assert.ok(env.log.some((m) => /queued input not sent \(hangup\): keys "5"/.test(m)), env.log.join('\n'));
});
