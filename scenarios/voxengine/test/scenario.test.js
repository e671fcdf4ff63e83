'use strict';
// The VoxEngine scenario against the real dialog function (`sva dev`), through a
// stand-in of the VoxEngine globals. Run: node --test scenarios/voxengine/test/

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { load } = require('./standin');
const stack = require('./stack');

let local;

before(async () => {
  local = await stack.start();
});

after(() => local && local.stop());

function secrets(overrides) {
  return Object.assign(
    {
      SVA_FUNCTION_URL: local.url + '/',
      SVA_TENANT: 'demo',
      SVA_SIGNING_SECRET: local.secret,
      SVA_CALLER_ID: '+74950000000',
    },
    overrides || {}
  );
}

/** Answers an inbound call and waits for the greeting. */
async function answered(env, callerid) {
  env.start(777000 + Math.floor(Math.random() * 1000));
  const call = env.inbound(callerid || '89161234567', '74950000000');
  await env.until(() => call.said.length > 0, 'the greeting');
  return call;
}

/** The caller speaks; waits for the assistant's answer to start playing. */
async function speak(env, call, text, confidence) {
  const before = call.said.length;
  const turns = env.turns().length;
  env.asr().hear(text, confidence);
  await env.until(() => env.turns().length > turns && (call.said.length > before || env.terminated), 'an answer to ' + text);
  return call.said.slice(before).map((s) => s.text).join(' ');
}

test('an inbound call is qualified, reported and recorded', async () => {
  const env = load({ secrets: secrets() });
  const call = await answered(env);
  assert.equal(call.state, 'answered');
  const greeting = call.said[0];
  assert.match(greeting.text, /ТехноСклад/);
  assert.equal(greeting.parameters.voice, 'Yandex.Neural.ru_RU_alena');
  assert.equal(env.asr().parameters.profile, 'yandex-ru_RU');
  assert.equal(env.asr().parameters.singleUtterance, true);
  assert.equal(call.mediaTo, env.asr(), 'the call feeds the recogniser');

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
  assert.ok(first.options.timeout <= 5, 'a short request timeout');

  call.finishAllPlayback();
  assert.equal(env.timers.length, 1, 'listening: a no-input timer runs');
  let heard = await speak(env, call, 'здравствуйте нам нужна система учета для склада', 93);
  assert.match(heard, /бюджет/);
  const second = env.turns()[1];
  assert.equal(second.body.seq, 1);
  assert.equal(second.body.event.type, 'utterance');
  assert.equal(second.body.event.confidence, 0.93, 'confidence normalised to 0..1');
  assert.ok(second.body.token, 'the token of the previous answer');

  for (const line of ['где-то полтора миллиона рублей', 'хотим запустить в следующем месяце', 'нет решает генеральный директор', 'меня зовут ольга петровна', 'техносклад плюс', 'да записывайте']) {
    call.finishAllPlayback();
    heard = await speak(env, call, line);
  }
  assert.match(heard, /Ольга/);
  // The answer ends with hangup: after the goodbye finishes playing the call is hung up.
  call.finishAllPlayback();
  await env.until(() => env.terminated, 'the hang-up');
  assert.ok(env.hungUp.includes(call));
  await env.until(() => env.reports.length > 0, 'the end-of-call report');
  const report = await env.reports[0];
  assert.equal(report.code, 200, report.text);
  const { record } = JSON.parse(report.text);
  const saved = JSON.parse(fs.readFileSync(path.join(local.data, record), 'utf8'));
  assert.equal(saved.qualification.slots.budget.value.amount, 1500000);
  assert.equal(saved.qualification.outcome, 'qualified');
  assert.equal(saved.end_reason, 'hangup');
  // Usage as VoxEngine reported it, and the call's cost by component.
  assert.equal(saved.usage.telephony_reported.amount, 1.5);
  assert.equal(saved.usage.asr_sessions, 1, 'one ASR object recognised every utterance');
  assert.deepEqual(saved.usage.asr_session_seconds, [12]);
  assert.equal(saved.cost.components.telephony.amount, 1.5);
  assert.equal(saved.cost.components.telephony.basis, 'reported');
  assert.ok(saved.cost.components.recognition.amount > 0);
  assert.ok(saved.cost.total > 1.5);
  assert.equal(saved.transcript.length, 8);
  assert.equal(saved.transcript[1].caller, 'здравствуйте нам нужна система учета для склада');
  assert.ok(fs.existsSync(path.join(local.data, 'outbox', 'crm', 'demo', saved.call.id + '.json')));
});

test('caller speech stops playback and the turn says what was heard', async () => {
  const env = load({ secrets: secrets() });
  const call = await answered(env);
  const greeting = call.playing;
  env.asr().hear('алло а вы кто');
  await env.until(() => env.turns().length === 2, 'the barge-in turn');
  assert.deepEqual(call.stopped, [greeting], 'playback stopped on caller speech');
  const event = env.turns()[1].body.event;
  assert.equal(event.type, 'barge_in');
  assert.equal(event.text, 'алло а вы кто');
  assert.equal(event.heard, greeting);
  assert.equal(env.turns()[1].code, 200);
});

test('silence becomes a no_input turn when the listen timeout fires', async () => {
  const env = load({ secrets: secrets() });
  const call = await answered(env);
  call.finishAllPlayback();
  assert.equal(env.fireTimers(), 1);
  await env.until(() => env.turns().length === 2, 'the no_input turn');
  assert.deepEqual(env.turns()[1].body.event, { type: 'no_input' });
  assert.equal(env.turns()[1].code, 200);
  assert.ok(call.said.length >= 2, 'the assistant re-asks');
});

test('a request for a human dials the manager and bridges the call; a failed transfer is a turn', async () => {
  const env = load({ secrets: secrets() });
  const call = await answered(env);
  call.finishAllPlayback();
  await speak(env, call, 'соедините меня с менеджером пожалуйста');
  call.finishAllPlayback();
  assert.equal(env.dialled.length, 1, 'the manager is dialled');
  const agent = env.dialled[0];
  assert.equal(agent.number, '+74951234567');
  assert.equal(agent.callerid, '+74950000000');
  assert.ok(env.asrs[0].stopped, 'the assistant stops listening during the transfer');
  agent.emit('Call.Failed', { code: 486, reason: 'Busy' });
  await env.until(() => env.turns().length === 3, 'the transfer_failed turn');
  assert.deepEqual(env.turns()[2].body.event, { type: 'transfer_failed', reason: '486' });
  assert.equal(env.turns()[2].code, 200);
  assert.ok(call.said.length > 0);

  // A second attempt connects and bridges.
  const env2 = load({ secrets: secrets() });
  const call2 = await answered(env2);
  call2.finishAllPlayback();
  await speak(env2, call2, 'позовите оператора');
  call2.finishAllPlayback();
  env2.dialled[0].pickUp();
  assert.deepEqual(env2.bridged, [[call2, env2.dialled[0]]]);
  env2.dialled[0].remoteHangup();
  await env2.until(() => env2.reports.length > 0, 'the report');
  const report = await env2.reports[0];
  assert.equal(report.code, 200, report.text);
  assert.equal(JSON.parse(fs.readFileSync(path.join(local.data, JSON.parse(report.text).record))).end_reason, 'transfer');
});

test('keys pressed are a dtmf turn', async () => {
  const env = load({ secrets: secrets() });
  const call = await answered(env);
  call.finishAllPlayback();
  call.emit('Call.ToneReceived', { tone: '0' });
  await env.until(() => env.turns().length === 2, 'the dtmf turn');
  assert.deepEqual(env.turns()[1].body.event, { type: 'dtmf', digits: '0' });
  assert.equal(env.turns()[1].code, 200);
});

test('an outbound call from StartScenarios custom data', async () => {
  const custom = JSON.stringify({ phone: '+79161234567', data: { name: 'Ольга', reason: 'заявка с сайта' } });
  const env = load({ secrets: secrets(), customData: custom });
  env.start(123456);
  assert.equal(env.dialled.length, 1);
  const call = env.dialled[0];
  assert.equal(call.number, '+79161234567');
  assert.equal(call.callerid, '+74950000000');
  call.pickUp();
  await env.until(() => call.said.length > 0, 'the opening');
  const first = env.turns()[0].body;
  assert.equal(first.call.direction, 'outbound');
  assert.deepEqual(first.call.custom_data, { name: 'Ольга', reason: 'заявка с сайта' });
  assert.equal(env.turns()[0].code, 200);
});

test('a caller who hangs up midway is still reported', async () => {
  const env = load({ secrets: secrets() });
  const call = await answered(env);
  call.finishAllPlayback();
  await speak(env, call, 'нам нужен склад');
  call.remoteHangup();
  await env.until(() => env.reports.length > 0, 'the report');
  const report = await env.reports[0];
  assert.equal(report.code, 200, report.text);
  const saved = JSON.parse(fs.readFileSync(path.join(local.data, JSON.parse(report.text).record)));
  assert.equal(saved.end_reason, 'caller_hangup');
  assert.equal(saved.turns, 1);
});

test('no dead air: a function that does not answer gives the local fallback, then a polite goodbye', async () => {
  const env = load({ secrets: secrets({ SVA_FUNCTION_URL: 'http://127.0.0.1:9' }) });
  env.start(1);
  const call = env.inbound('+79161234567', '+74950000000');
  await env.until(() => call.said.length > 0, 'a phrase');
  assert.equal(env.turns().length, 2, 'one retry');
  assert.match(call.said[0].text, /перезвоним/);
  call.finishAllPlayback();
  await env.until(() => env.terminated, 'the hang-up');
  assert.equal(env.reports.length === 0 || env.reports[0] === null, true, 'nothing to report without a token');
});

test('no dead air: with a fallback number the caller is transferred to it', async () => {
  const env = load({ secrets: secrets({ SVA_FUNCTION_URL: 'http://127.0.0.1:9', SVA_FALLBACK_NUMBER: '+74957654321' }) });
  env.start(2);
  const call = env.inbound('+79161234567', '+74950000000');
  await env.until(() => call.said.length > 0, 'a phrase');
  call.finishAllPlayback();
  assert.equal(env.dialled[0].number, '+74957654321');
});

test('a wrong signing secret is refused by the function and the caller still hears a phrase', async () => {
  const env = load({ secrets: secrets({ SVA_SIGNING_SECRET: 'not-the-secret' }) });
  const call = await answered(env);
  assert.equal(env.turns()[0].code, 401);
  assert.match(env.turns()[0].text, /bad_signature/);
  assert.ok(call.said[0].text.length > 0);
});

test('a failed turn mid-call: the fallback phrase, and the next turn resumes with the same seq', async () => {
  const env = load({ secrets: secrets() });
  const call = await answered(env);
  call.finishAllPlayback();
  // The network fails for one turn (the request and its retry time out).
  const net = env.context.Net.httpRequestAsync;
  let broken = 2;
  env.context.Net.httpRequestAsync = async (url, options) => {
    if (broken > 0) {
      broken -= 1;
      env.requests.push({ url, options, body: JSON.parse(options.postData), code: -7 });
      return { code: -7, text: '' };
    }
    return net(url, options);
  };
  const said = await speak(env, call, 'нам нужна система для склада');
  assert.match(said, /Повторите/);
  call.finishAllPlayback();
  await speak(env, call, 'нам нужна система для склада');
  const turns = env.turns();
  const last = turns[turns.length - 1];
  assert.equal(last.code, 200);
  assert.equal(last.body.seq, 1, 'the failed turn did not advance seq');
});
