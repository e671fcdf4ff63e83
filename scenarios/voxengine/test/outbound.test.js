'use strict';
// Outbound campaigns (issue 25): a call-list task runs the script with the CSV row as
// customData; the script asks the dialog function first (POST /v1/outbound/dial), dials
// with answering-machine detection, and reports every ending to the call list exactly
// once. The stand-in's CallList refuses a second report or one after the end, and
// records a task that ends without one as "silent" (the platform would count it as a
// success): every test here checks that it never happens.

const { before, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useStack, session, speak } = require('./helpers');

const local = useStack();

let sessionIds = 910000;

/** The callees of these tests: contacts of campaign c1 (every hour open, hang up on
 * an answering machine, 4 attempts), their ids the file's line numbers (`r2` …). */
const PHONES = Array.from({ length: 14 }, (_, i) => '791600000' + String(i + 1).padStart(2, '0'));

function contactOf(phone) {
  const i = PHONES.indexOf(phone);
  return i >= 0 ? 'r' + (i + 2) : 'r99';
}

/** A call-list row as the campaign builder writes it (docs/voximplant.md); `vm: message`
 * rows belong to campaign c2, which leaves a message on an answering machine. */
function row(phone, extra) {
  const message = Boolean(extra && extra.vm === 'message');
  return Object.assign({ phone, tenant: 'demo', campaign: message ? 'c2' : 'c1', contact: message ? 'r2' : contactOf(phone), vm: 'hangup', __start_execution_time: '06:00:00', __end_execution_time: '17:00:00' }, extra || {});
}

/** Builds a campaign through the admin API, as a sales manager would. */
async function createCampaign(id, phones, settings) {
  const csv = 'телефон;согласие;дата согласия\n' + phones.map((p) => `+${p};заявка на сайте;2026-11-30`).join('\n') + '\n';
  const response = await fetch(`${local.url}/v1/tenants/demo/campaigns?id=${id}&hours=00%3A00-24%3A00${settings}`, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + operatorKey(), 'Content-Type': 'text/csv' },
    body: csv,
  });
  assert.equal(response.status, 201, await response.text());
}

before(async () => {
  await local.ready;
  await createCampaign('c1', PHONES, '&attempts=4');
  await createCampaign('c2', ['79160000003'], '&voicemail=message');
  // c3: every day around today is a day off (Moscow's yesterday, today, tomorrow).
  const day = (d) => new Date(Date.now() + 3 * 3600e3 + d * 86400e3).toISOString().slice(0, 10);
  await createCampaign('c3', ['79160000015'], '&days_off=' + [-1, 0, 1].map(day).join('%2C'));
});

/** A session started by a call list with `r` as its task. */
function task(r, options) {
  const env = session(local, Object.assign({ customData: typeof r === 'string' ? r : JSON.stringify(r), callList: true }, options || {}));
  env.start(sessionIds++);
  return env;
}

/** The call the task dialled. */
async function dialled(env) {
  await env.runUntil(() => env.dialled.length > 0, 'the callee to be dialled', 10000);
  return env.dialled[0];
}

/** Runs the session to its end; its one call-list report (and checks it is the only one). */
async function theReport(env) {
  await env.runUntil(() => env.phase === 'terminated', 'the session to end', 180000);
  assert.deepEqual(env.callList.refused, [], 'no report was refused');
  assert.equal(env.callList.silent, false, 'the task was reported (a silent one counts as a success)');
  assert.equal(env.callList.reports.length, 1);
  assert.deepEqual(env.errors, []);
  return env.callList.reports[0];
}

function dialChecks(env) {
  return env.requests.filter((r) => r.url.endsWith('/v1/outbound/dial'));
}

function endReports(env) {
  return env.requests.filter((r) => /\/v1\/calls\/[^/]+\/end$/.test(r.url));
}

function operatorKey() {
  return fs.readFileSync(path.join(local.data, 'service', 'operator.key'), 'utf8').trim();
}

async function doNotCall(method, body, query) {
  const response = await fetch(local.url + '/v1/tenants/demo/do-not-call' + (query || ''), {
    method,
    headers: { Authorization: 'Bearer ' + operatorKey(), 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

test('a person answers: checked first, dialled with the Russian detector, silent until its verdict; the dialog and reportResult with the outcome', async () => {
  const env = task(row('79160000001'));
  const call = await dialled(env);
  const check = dialChecks(env)[0];
  assert.equal(check.code, 200, check.text);
  assert.deepEqual(check.body.call.custom_data, { phone: '79160000001', tenant: 'demo', campaign: 'c1', contact: 'r2', vm: 'hangup' }, 'the row without its __ columns');
  assert.equal(check.body.call.callee, '+79160000001');
  assert.equal(check.body.call.direction, 'outbound');
  assert.equal(call.number(), '79160000001', 'dialled as the row gives it');
  assert.equal(call.parameters.amd.model, 'ru');
  call.pickUp({ amd: 'HUMAN', amdMs: 1500 });
  await env.runUntil(() => call.said.length > 0, 'the opening', 10000);
  assert.ok(call.said[0].at >= call.connectedAt + 1500, 'nothing is said before the verdict');
  const first = env.turns()[0].body;
  assert.equal(first.call.custom_data.answered_by, 'human');
  // The contact's data from the pre-dial answer travels with every turn.
  assert.equal(first.call.custom_data.consent_source, 'заявка на сайте');
  assert.equal(first.call.custom_data.consent_date, '2026-11-30');
  assert.equal(first.call.custom_data.campaign, 'c1');
  await env.playOut();
  await speak(env, 'не звоните мне больше');
  const report = await theReport(env);
  assert.equal(report.kind, 'reportResult');
  assert.equal(report.data.result, 'answered');
  assert.equal(report.data.outcome, 'do_not_call');
  assert.equal(report.data.call_id, first.call.id);
  assert.equal(report.data.answered_by, 'human');
  const ends = endReports(env);
  assert.equal(ends.length, 1);
  assert.equal(ends[0].code, 200, ends[0].text);
  assert.ok(ends[0].at <= report.at, 'the end report went first: its answer names the outcome');
  assert.equal(env.final, null, 'nothing was left for Terminating');
  // The callee is on the tenant's list now, and the next task to that number is not dialled.
  const list = await doNotCall('GET');
  assert.ok(list.body.some((e) => e.number === '+79160000001' && e.source === 'call' && e.by === first.call.id), JSON.stringify(list.body));
  const again = task(row('79160000001'));
  const refused = await theReport(again);
  assert.equal(again.dialled.length, 0);
  assert.deepEqual(refused.data, { call_id: dialChecks(again)[0].body.call.id, result: 'not_dialled', reason: 'do_not_call' });
});

test('an answering machine with vm=hangup: hung up without a word, reportError (the list tries again)', async () => {
  const env = task(row('79160000002'));
  const call = await dialled(env);
  call.pickUp({ amd: 'VOICEMAIL' });
  const report = await theReport(env);
  assert.equal(report.kind, 'reportError');
  assert.equal(report.data.error, 'voicemail');
  assert.deepEqual(call.said, []);
  assert.equal(env.turns().length, 0, 'no dialog');
  assert.ok(env.hungUp.includes(call));
});

test('an answering machine with vm=message: the dialog starts as answered_by voicemail, then reportResult', async () => {
  const env = task(row('79160000003', { vm: 'message' }));
  const call = await dialled(env);
  const answer = JSON.parse(dialChecks(env)[0].text);
  assert.deepEqual([answer.dial, answer.voicemail, answer.callback_attempts], [true, 'message', 3], dialChecks(env)[0].text);
  call.pickUp({ amd: 'VOICEMAIL' });
  await env.runUntil(() => call.said.length > 0, 'the message', 10000);
  assert.equal(env.turns()[0].body.call.custom_data.answered_by, 'voicemail');
  // The default scenario says its short message and hangs up itself (hangup voicemail).
  await env.playOut();
  const report = await theReport(env);
  assert.equal(report.kind, 'reportResult');
  assert.equal(report.data.result, 'voicemail_message');
  assert.equal(report.data.answered_by, 'voicemail');
  assert.equal(endReports(env)[0].code, 200);
});

test('a detector timeout is taken for a person (the dialog starts when the detector gives up)', async () => {
  const env = task(row('79160000010'));
  const call = await dialled(env);
  call.pickUp(); // TIMEOUT after the detector's timeout
  await env.runUntil(() => call.said.length > 0, 'the opening', 15000);
  assert.equal(call.parameters.amd.timeout, 5000);
  assert.ok(call.said[0].at >= call.connectedAt + 5000);
  assert.equal(env.turns()[0].body.call.custom_data.answered_by, 'human');
  await env.playOut();
  call.remoteHangup();
  const report = await theReport(env);
  assert.equal(report.kind, 'reportResult');
  assert.equal(report.data.result, 'answered');
});

test('busy: reportError with the code, no dialog', async () => {
  const env = task(row('79160000004'));
  const call = await dialled(env);
  call.remoteFail(486, 'Busy Here');
  const report = await theReport(env);
  assert.equal(report.kind, 'reportError');
  assert.deepEqual(report.data, { call_id: dialChecks(env)[0].body.call.id, error: 'busy', code: 486 });
  assert.equal(env.turns().length, 0);
});

test('no answer: the platform gives up after 60 s, reportError', async () => {
  const env = task(row('79160000005'));
  await dialled(env);
  const report = await theReport(env);
  assert.equal(report.kind, 'reportError');
  assert.equal(report.data.error, 'no_answer');
  assert.equal(report.data.code, 408);
});

test('the callee hangs up while the detector listens: reportError dropped', async () => {
  const env = task(row('79160000011'));
  const call = await dialled(env);
  call.pickUp({ amd: 'HUMAN', amdMs: 3000 });
  await env.advance(1000);
  call.remoteHangup();
  const report = await theReport(env);
  assert.equal(report.kind, 'reportError');
  assert.equal(report.data.error, 'dropped');
  assert.deepEqual(call.parameters.amd.results, ['CALL_ENDED']);
});

test('a callback the callee asked for: requestNextAttempt at that time, with the campaign\'s attempts', async () => {
  const env = task(row('79160000006'));
  const call = await dialled(env);
  call.pickUp({ amd: 'HUMAN' });
  await env.runUntil(() => call.said.length > 0, 'the opening', 10000);
  await env.playOut();
  await speak(env, 'сейчас неудобно, перезвоните завтра в 11');
  await env.playOut();
  if (call.state() === 'CONNECTED') call.remoteHangup();
  const report = await theReport(env);
  const ended = JSON.parse(endReports(env)[0].text);
  assert.equal(ended.outcome, 'callback', endReports(env)[0].text);
  assert.ok(ended.callback_at, 'the end answer names the time');
  assert.equal(report.kind, 'requestNextAttempt');
  assert.equal(report.data.start_at, Math.ceil(Date.parse(ended.callback_at) / 1000));
  assert.ok(report.data.start_at * 1000 > env.now);
  assert.equal(report.data.error, 'callback');
  // Set, not left to the list: on the task's last attempt the list would drop the
  // callback [T:3814]; the campaign's 4 attempts, whatever this task had left.
  assert.equal(report.data.attempts_left, 4);
});

test('a day off of the campaign: not dialled, requestNextAttempt at the next open day with the attempts the campaign still gives', async () => {
  const env = task({ phone: '79160000015', tenant: 'demo', campaign: 'c3', contact: 'r2', vm: 'hangup' });
  const report = await theReport(env);
  assert.equal(env.dialled.length, 0);
  const answer = JSON.parse(dialChecks(env)[0].text);
  assert.equal(answer.reason, 'outside_window', dialChecks(env)[0].text);
  assert.equal(report.kind, 'requestNextAttempt');
  assert.equal(report.data.start_at, Math.ceil(Date.parse(answer.retry_at) / 1000));
  assert.equal(report.data.error, 'not_dialled:outside_window');
  // Nothing dialled yet: all 3 of the campaign's attempts, not one fewer [T:3814].
  assert.equal(answer.attempts_left, 3);
  assert.equal(report.data.attempts_left, 3);
});

test('do-not-call: a listed number is never dialled, and the task ends with reportResult', async () => {
  const added = await doNotCall('POST', { number: '+7 916 000-00-07', reason: 'жалоба' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const env = task(row('79160000007'));
  const report = await theReport(env);
  assert.equal(env.dialled.length, 0);
  assert.equal(report.kind, 'reportResult');
  assert.equal(report.data.result, 'not_dialled');
  assert.equal(report.data.reason, 'do_not_call');
  const removed = await doNotCall('DELETE', null, '?number=%2B79160000007');
  assert.equal(removed.status, 200);
});

test('the pre-dial check fails (an error status, a refused connection): never dialled unchecked, reportError', async () => {
  for (const rule of [{ respond: { code: 503, text: '{"error":{"code":"storage_unavailable"}}' } }, 'refuse']) {
    const env = task(row('79160000008'), { network: (url) => (url.endsWith('/v1/outbound/dial') ? rule : 'pass') });
    const report = await theReport(env);
    assert.equal(env.dialled.length, 0);
    assert.equal(report.kind, 'reportError');
    assert.equal(report.data.error, 'dial_check_failed');
    assert.equal(report.data.code, rule === 'refuse' ? -1 : 503);
  }
});

test('a row for another tenant, or one that is not a row at all: not dialled, reportResult (a retry could not help)', async () => {
  for (const [r, reason] of [[row('79160000012', { tenant: 'other' }), 'tenant_mismatch'], ['{"campaign": "c1"}', 'bad_row'], ['not json', 'bad_row']]) {
    const env = task(r);
    const report = await theReport(env);
    assert.equal(env.dialled.length, 0);
    assert.equal(report.kind, 'reportResult');
    assert.equal(report.data.result, 'not_dialled');
    assert.equal(report.data.reason, reason);
  }
});

test('a script failure before the dialog: reportError script_error', async () => {
  const env = task(row('79160000009'), { apiError: (name) => (name === 'callPSTN' ? 'the platform refused' : null) });
  const report = await theReport(env);
  assert.equal(report.kind, 'reportError');
  assert.equal(report.data.error, 'script_error');
  assert.ok(env.log.some((l) => /ERROR in the pre-dial check/.test(l)), 'logged');
});

test('the platform ends the session mid-dialog (Terminating before a report): reportError there, the one request', async () => {
  const env = task(row('79160000013'));
  const call = await dialled(env);
  call.pickUp({ amd: 'HUMAN' });
  await env.runUntil(() => call.said.length > 0, 'the opening', 10000);
  env.platformTerminate('the session limit');
  const report = await theReport(env);
  assert.equal(report.kind, 'reportError');
  assert.equal(report.phase, 'terminating');
  assert.equal(report.data.error, 'terminated');
  assert.equal(report.data.answered_by, 'human');
  assert.equal(endReports(env).length, 0, 'the end report could not go too');
});

test('a single StartScenarios call of a campaign is checked and detected too, and reports to no call list', async () => {
  const custom = { phone: '+79160000014', data: { campaign: 'c1', contact: contactOf('79160000014'), vm: 'hangup' } };
  const env = session(local, { customData: JSON.stringify(custom) });
  env.start(sessionIds++);
  const call = await dialled(env);
  assert.equal(dialChecks(env).length, 1);
  call.pickUp({ amd: 'VOICEMAIL' });
  await env.runUntil(() => env.phase === 'terminated', 'the session to end', 30000);
  assert.deepEqual(call.said, []);
  assert.deepEqual(env.callList.reports, []);
  assert.deepEqual(env.callList.refused, [], 'the script did not try a call list it does not have');
});
