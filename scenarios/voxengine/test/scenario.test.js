'use strict';
// The VoxEngine scenario against the real dialog function (`sva dev`), through a
// stand-in of the VoxEngine globals that follows Voximplant's typings (standin.js).
// Run: node --test scenarios/voxengine/test/

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { useStack, session, answered, speak, savedRecord } = require('./helpers');

const local = useStack();

test('an inbound call is qualified, reported and recorded', async () => {
  const env = session(local);
  const call = await answered(env);
  assert.equal(call.state(), 'CONNECTED');
  const greeting = call.said[0];
  assert.match(greeting.text, /ТехноСклад/);
  assert.equal(greeting.parameters.voice, 'Yandex.Neural.ru_RU_alena');
  assert.equal(env.asr().parameters.profile, 'yandex-ru_RU');
  assert.equal(env.asr().parameters.singleUtterance, true);
  assert.ok(call.mediaTo.has(env.asr()), 'the call feeds the recogniser');

  // The first request: signed, seq 0, no token, the caller id in E.164.
  const first = env.turns()[0];
  assert.equal(first.code, 200);
  assert.deepEqual(first.body.event, { type: 'call_started' });
  assert.equal(first.body.seq, 0);
  assert.equal(first.body.token, undefined);
  assert.equal(first.body.call.caller, '+79161234567');
  assert.equal(first.body.call.direction, 'inbound');
  const ts = first.options.headers['X-SVA-Timestamp'];
  const expected = 'v1=' + crypto.createHmac('sha256', local.secret).update(ts + '.' + first.options.postData).digest('hex');
  assert.equal(first.options.headers['X-SVA-Signature'], expected);
  assert.ok(first.options.timeout <= 2, 'a short request timeout');

  await env.playOut();
  assert.equal(env.timers().length, 1, 'listening: a no-input timer runs');
  let heard = await speak(env, 'здравствуйте нам нужна система учета для склада');
  assert.match(heard, /бюджет/);
  const second = env.turns()[1];
  assert.equal(second.body.seq, 1);
  assert.equal(second.body.event.type, 'utterance');
  assert.equal(second.body.event.confidence, 0.93, 'confidence normalised to 0..1');
  assert.ok(second.body.token, 'the token of the previous answer');

  for (const line of ['где-то полтора миллиона рублей', 'хотим запустить в следующем месяце', 'нет решает генеральный директор', 'меня зовут ольга петровна', 'техносклад плюс', 'да записывайте']) {
    await env.playOut();
    heard = await speak(env, line);
  }
  assert.match(heard, /Ольга/);
  // The answer ends with hangup: after the goodbye finishes playing the call is hung up.
  const report = await env.endReport();
  assert.ok(env.hungUp.includes(call));
  assert.equal(report.code, 200, report.text);
  const saved = savedRecord(local, report);
  assert.equal(saved.qualification.slots.budget.value.amount, 1500000);
  assert.equal(saved.qualification.outcome, 'qualified');
  assert.equal(saved.end_reason, 'hangup');
  // Usage as VoxEngine reported it, and the call's cost by component.
  assert.equal(saved.usage.telephony_reported.amount, call.disconnectedEvent.cost);
  assert.equal(saved.usage.asr_sessions, 1, 'one ASR object recognised every utterance');
  assert.equal(saved.cost.components.telephony.basis, 'reported');
  assert.ok(saved.cost.components.recognition.amount > 0);
  assert.equal(saved.transcript.length, 8);
  assert.equal(saved.transcript[1].caller, 'здравствуйте нам нужна система учета для склада');
  assert.ok(fs.existsSync(path.join(local.data, 'outbox', 'crm', 'demo', saved.call.id + '.json')));
  assert.deepEqual(env.errors, []);
});

test('caller speech stops playback and the turn says what was heard', async () => {
  const env = session(local);
  const call = await answered(env);
  const greeting = call.playing();
  await env.callerSays('алло а вы кто');
  await env.runUntil(() => env.turns().length === 2 && env.turns()[1].done, 'the barge-in turn', 5000);
  assert.deepEqual(call.stopped, [greeting], 'playback stopped on caller speech');
  const event = env.turns()[1].body.event;
  assert.equal(event.type, 'barge_in');
  assert.equal(event.text, 'алло а вы кто');
  assert.equal(event.heard, greeting);
  assert.equal(env.turns()[1].code, 200);
});

test('silence becomes a no_input turn when the listen timeout fires', async () => {
  const env = session(local);
  const call = await answered(env);
  await env.playOut();
  const before = call.said.length;
  await env.advance(7100);
  assert.equal(env.turns().length, 2);
  assert.deepEqual(env.turns()[1].body.event, { type: 'no_input' });
  assert.equal(env.turns()[1].code, 200);
  assert.ok(call.said.length > before, 'the assistant re-asks');
});

test('keys pressed are a dtmf turn', async () => {
  const env = session(local);
  await answered(env);
  await env.playOut();
  await env.press('0');
  assert.equal(env.turns().length, 2);
  assert.deepEqual(env.turns()[1].body.event, { type: 'dtmf', digits: '0' });
  assert.equal(env.turns()[1].code, 200);
});

test('an outbound call from StartScenarios custom data', async () => {
  const custom = JSON.stringify({ phone: '+79161234567', data: { name: 'Ольга', reason: 'заявка с сайта' } });
  const env = session(local, { customData: custom });
  env.start(123456);
  await env.settle();
  assert.equal(env.dialled.length, 1);
  const call = env.dialled[0];
  assert.equal(call.number(), '+79161234567');
  assert.equal(call.callerid(), '+74950000000');
  call.pickUp();
  await env.runUntil(() => call.said.length > 0, 'the opening', 5000);
  const first = env.turns()[0].body;
  assert.equal(first.call.direction, 'outbound');
  assert.deepEqual(first.call.custom_data, { name: 'Ольга', reason: 'заявка с сайта' });
  assert.equal(env.turns()[0].code, 200);
});

test('a caller who hangs up midway is still reported', async () => {
  const env = session(local);
  const call = await answered(env);
  await env.playOut();
  await speak(env, 'нам нужен склад');
  call.remoteHangup();
  const report = await env.endReport();
  assert.equal(report.code, 200, report.text);
  const saved = savedRecord(local, report);
  assert.equal(saved.end_reason, 'caller_hangup');
  assert.equal(saved.turns, 1);
});

test('no dead air: a function that does not answer gives the local goodbye', async () => {
  const env = session(local, { secrets: { SVA_FUNCTION_URL: 'http://127.0.0.1:9' } });
  env.start(1);
  const call = env.inbound('+79161234567', '+74950000000');
  await env.runUntil(() => call.said.length > 0, 'a phrase', 5000);
  assert.equal(env.turns().length, 2, 'one quick retry');
  assert.match(call.said[0].text, /перезвоним/);
  const report = await env.endReport();
  assert.equal(report, null, 'nothing to report without a token');
  assert.ok(env.hungUp.includes(call));
});

test('no dead air: with a fallback number the caller is transferred to it', async () => {
  const env = session(local, { secrets: { SVA_FUNCTION_URL: 'http://127.0.0.1:9', SVA_FALLBACK_NUMBER: '+74957654321' } });
  env.start(2);
  const call = env.inbound('+79161234567', '+74950000000');
  await env.runUntil(() => call.said.length > 0, 'a phrase', 5000);
  await env.playOut();
  assert.equal(env.dialled[0].number(), '+74957654321');
});

test('a wrong signing secret is refused by the function and the caller still hears a phrase', async () => {
  const env = session(local, { secrets: { SVA_SIGNING_SECRET: 'not-the-secret' } });
  const call = await answered(env);
  assert.equal(env.turns()[0].code, 401);
  assert.match(env.turns()[0].text, /bad_signature/);
  assert.ok(call.said[0].text.length > 0);
});

test('a failed turn mid-call: the fallback phrase, and the next turn resumes with the same seq', async () => {
  let broken = 0;
  const env = session(local, { network: () => (broken > 0 ? (broken--, { respond: { code: 503, text: 'unavailable' } }) : 'pass') });
  await answered(env);
  await env.playOut();
  broken = 2; // the request and its retry fail
  const said = await speak(env, 'нам нужна система для склада');
  assert.match(said, /Повторите/);
  await env.playOut();
  await speak(env, 'нам нужна система для склада');
  const last = env.lastTurn();
  assert.equal(last.code, 200);
  assert.equal(last.body.seq, 1, 'the failed turn did not advance seq');
});
