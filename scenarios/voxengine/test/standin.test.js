'use strict';
// The stand-in itself follows the platform's documents (voxengine.d.ts v28.0.0): small
// inline scenarios check the rules the scenario tests rely on. No stack needed.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { load } = require('./standin');

/** An inline scenario: `body` runs with VoxEngine's globals; `out` collects what it saw. */
function scenario(body, options) {
  const source = `require(Modules.ASR); var out = []; ${body}`;
  const env = load(Object.assign({ source }, options || {}));
  return env;
}

function out(env) {
  return JSON.parse(JSON.stringify(env.context.out)); // out of the sandbox realm
}

test('after terminate() only Terminating and Terminated arrive: no Disconnected, no ASR.Stopped, no timers', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.CallAlerting, function (e) {
      var call = e.call;
      call.addEventListener(CallEvents.Connected, function () {
        var asr = VoxEngine.createASR({ profile: ASRProfileList.Yandex.ru_RU });
        asr.addEventListener(ASREvents.Stopped, function (s) { out.push('stopped'); });
        call.addEventListener(CallEvents.Disconnected, function () { out.push('disconnected'); });
        setTimeout(function () { out.push('timer'); }, 10);
        asr.stop();
        call.hangup();
        VoxEngine.terminate();
      });
      call.answer();
    });
    VoxEngine.addEventListener(AppEvents.Terminating, function () { out.push('terminating'); });
    VoxEngine.addEventListener(AppEvents.Terminated, function () { out.push('terminated'); });
  `);
  env.start(1);
  env.inbound('+79161234567', '+74950000000');
  await env.advance(120000);
  assert.deepEqual(out(env), ['terminating', 'terminated']);
});

test('ASR.Stopped comes later than stop(), with cost a string and duration a number', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.CallAlerting, function (e) {
      e.call.addEventListener(CallEvents.Connected, function () {
        var asr = VoxEngine.createASR({ profile: ASRProfileList.Yandex.ru_RU });
        asr.addEventListener(ASREvents.Stopped, function (s) { out.push([typeof s.cost, typeof s.duration, s.asr === asr]); });
        setTimeout(function () { asr.stop(); out.push('stop returned'); }, 20000);
      });
      e.call.answer();
    });
  `);
  env.start(1);
  env.inbound('+79161234567', '+74950000000');
  await env.advance(20500);
  assert.deepEqual(out(env), ['stop returned']);
  await env.advance(1000);
  assert.deepEqual(out(env), ['stop returned', ['string', 'number', true]]);
});

test('there is no ASREvents.Error: listening to it is refused', () => {
  assert.throws(() => scenario(`VoxEngine.createASR; var a = ASREvents.Error; VoxEngine.addEventListener(a, function () {});`), /unknown event undefined/);
});

test('one HTTP request in Terminating, started inside the handler; none later', async () => {
  const server = http.createServer((req, res) => res.end('ok'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  try {
    const env = scenario(`
      VoxEngine.addEventListener(AppEvents.Started, function () { VoxEngine.terminate(); });
      VoxEngine.addEventListener(AppEvents.Terminating, function () {
        Net.httpRequestAsync('${url}').then(function (r) { out.push('first ' + r.code); });
        try { Net.httpRequestAsync('${url}'); } catch (e) { out.push('second refused'); }
      });
    `);
    env.start(1);
    const final = await env.endReport();
    assert.equal(final.code, 200);
    await env.settle();
    assert.deepEqual(out(env), ['second refused', 'first 200']);
  } finally {
    server.close();
  }
});

test('at most 3 requests run at once; more wait; past 35 pending the call throws', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.Started, function () {
      for (var i = 0; i < 36; i++) {
        try { Net.httpRequestAsync('http://127.0.0.1:9/', { timeout: 5 }); out.push('ok'); }
        catch (e) { out.push(String(e.message)); }
      }
    });
  `, { network: () => 'hang' });
  env.start(1);
  await env.settle();
  assert.equal(out(env).filter((x) => x === 'ok').length, 35);
  assert.equal(out(env)[35], 'Exceeded the HTTP connection count limit!');
  assert.equal(env.http.active.length, 3);
  assert.equal(env.http.queued.length, 32);
});

test('say() over 1500 characters ends in PlaybackFinished with an error; stopPlayback() ends a phrase with no event', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.CallAlerting, function (e) {
      var call = e.call;
      call.addEventListener(CallEvents.PlaybackFinished, function (p) { out.push(p.error ? 'error' : 'finished'); });
      call.addEventListener(CallEvents.Connected, function () {
        call.say(new Array(1502).join('а'));
        setTimeout(function () { call.say('короткая фраза'); call.stopPlayback(); }, 1000);
      });
      e.call.answer();
    });
  `);
  env.start(1);
  env.inbound('+79161234567', '+74950000000');
  await env.advance(30000);
  assert.deepEqual(out(env), ['error']);
});

test('Crypto.hmac_sha256: the configured output encoding; non-ASCII text is not hashed as UTF-8 by default', () => {
  const env = scenario(`out.push(Crypto.hmac_sha256('Jefe', 'what do ya want for nothing?'), Crypto.hmac_sha256('k', 'я'));`, { crypto: { output: 'base64', input: 'bytes' } });
  const utf8 = require('node:crypto').createHmac('sha256', 'k').update('я', 'utf8').digest('base64');
  assert.equal(out(env)[0], 'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=');
  assert.notEqual(out(env)[1], utf8);
});

test('an exception escaping a handler ends the session', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.Started, function () { throw new Error('boom'); });
    VoxEngine.addEventListener(AppEvents.Terminating, function () { out.push('terminating'); });
  `);
  env.start(1);
  await env.settle();
  assert.equal(env.errors.length, 1);
  assert.deepEqual(out(env), ['terminating']);
});
