'use strict';
// Issue 21, problems 5 and 6 with the tenant's settings (a stack of its own):
// calls.record — the call is recorded from the start with the recording notice first,
// and recording_url reaches the end report, the call record and Bitrix24 (attachRecord);
// calls.transfer_timeout_s — the manager's phone rings that long.

const http = require('node:http');
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { useStack, session, answered, speak, savedRecord, patchSettings } = require('./helpers');

const local = useStack();

// Where the recordings are served, as Voximplant's storage serves them: Bitrix24 downloads
// a RECORD_URL itself before attachRecord answers (the sandbox portal too), and this
// machine reaches no Voximplant host.
const recordings = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.endsWith('.mp3')) {
    res.writeHead(200, { 'content-type': 'audio/mpeg' });
    res.end(Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00 a recording'));
  } else {
    res.writeHead(404).end();
  }
});
let recordBase;
before(async () => {
  await new Promise((resolve) => recordings.listen(0, '127.0.0.1', resolve));
  recordBase = `http://127.0.0.1:${recordings.address().port}/voximplant-records`;
});
after(() => recordings.close());

before(async () => {
  await local.ready;
  await patchSettings(local, { calls: { record: true, transfer_timeout_s: 10 } });
});

test('a recorded call: record() before the notice, the URL in the report, the call record and Bitrix24', async () => {
  const env = session(local, { recordBase });
  const call = await answered(env);
  assert.equal(call.records.length, 1, 'call.record() was called');
  assert.equal(call.said[0].text, 'Разговор записывается.', 'the notice comes first');
  assert.ok(env.turns()[0].doneAt <= call.said[0].at, 'recording starts as soon as the first answer says so');
  // The notice cannot be talked over.
  await env.callerSays('алло алло', { speechMs: 500 });
  assert.deepEqual(call.stopped, []);
  await env.playOut();
  await speak(env, 'нам нужна система учета для склада');
  await env.playOut();
  call.remoteHangup();
  const report = await env.endReport();
  assert.equal(report.code, 200, report.text);
  assert.equal(report.body.recording_url, call.recordUrl);
  const saved = savedRecord(local, report);
  assert.equal(saved.recording_url, call.recordUrl);
  // The CRM step attaches the recording to the call in Bitrix24's history (the sandbox
  // downloads it, as the portal does, and answers a FILE_ID).
  const deadline = Date.now() + 15000;
  let attached = null;
  let calls = [];
  while (!attached && Date.now() < deadline) {
    const state = await (await fetch(local.url + '/_sandbox/state')).json();
    calls = state.calls || [];
    attached = (state.calls || []).find((c) => c.RECORD && c.RECORD.RECORD_URL === call.recordUrl && c.RECORD.FILE_ID);
    if (!attached) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(attached, 'the recording reached the Bitrix24 call history: ' + JSON.stringify(calls));
});

test('the ring timeout comes from the tenant setting (10 s)', async () => {
  const env = session(local);
  const call = await answered(env);
  await env.playOut();
  await speak(env, 'соедините меня с менеджером пожалуйста');
  await env.playOut();
  const agent = env.dialled[0];
  await env.runUntil(() => env.lastTurn().body.event.type === 'transfer_failed', 'the transfer_failed turn', 20000);
  const after = env.lastTurn().at - agent.createdAt;
  assert.ok(after >= 9900 && after <= 10100, 'gave up after ' + after + ' ms');
  assert.deepEqual(env.lastTurn().body.event, { type: 'transfer_failed', reason: 'no_answer' });
  assert.ok(env.hungUp.includes(agent));
  assert.equal(call.state(), 'CONNECTED');
});
