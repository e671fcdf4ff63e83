/**
 * Sales Voice Assistant — the VoxEngine scenario.
 *
 * VoxEngine owns the media of the call: Yandex SpeechKit recognises the caller and speaks
 * the assistant's phrases. On every caller event this script sends ONE signed request to
 * the dialog function (`POST /v1/turn`, docs/turn-protocol.md) and carries out the
 * actions in the answer: say, listen, transfer to a human, hang up. At the end of the
 * session it reports the call (`POST /v1/calls/{id}/end`) from AppEvents.Terminating.
 *
 * Configuration (application Secrets, VoxEngine.getSecretValue):
 *   SVA_FUNCTION_URL     the dialog function's base URL (API Gateway)
 *   SVA_TENANT           the tenant id
 *   SVA_SIGNING_SECRET   the tenant's signing secret (admin API)
 *   SVA_CALLER_ID        a rented number: caller id for outbound calls and transfers
 *   SVA_FALLBACK_NUMBER  optional: where callers go when the function cannot answer
 * Outbound calls: Management API StartScenarios with script_custom_data
 *   {"phone": "+7…", "data": {…campaign fields…}}.
 *
 * Runs on SpiderMonkey (ES2017+). Tested with Node against a stand-in of the VoxEngine
 * globals (scenarios/voxengine/test/).
 */
require(Modules.ASR);

var SVA = (function () {
  'use strict';

  var CONFIG = {
    url: (VoxEngine.getSecretValue('SVA_FUNCTION_URL') || '').replace(/\/+$/, ''),
    tenant: VoxEngine.getSecretValue('SVA_TENANT') || '',
    secret: VoxEngine.getSecretValue('SVA_SIGNING_SECRET') || '',
    callerId: VoxEngine.getSecretValue('SVA_CALLER_ID') || '',
    fallbackNumber: VoxEngine.getSecretValue('SVA_FALLBACK_NUMBER') || '',
    // Seconds; VoxEngine's default is 90 and can only be lowered.
    requestTimeoutS: 3,
    connectionTimeoutS: 2,
    // What the caller hears when the function does not answer (never dead air).
    fallbackPhrase: 'Извините, связь с системой прервалась. Повторите, пожалуйста.',
    goodbyePhrase: 'Извините, сейчас не могу продолжить разговор. Мы вам перезвоним. До свидания!',
    transferPhrase: 'Соединяю с менеджером.',
    defaultVoice: 'ru_RU_alena',
    listenTimeoutMs: 7000,
    // After this many turns the function failed in a row, give up gracefully.
    maxFailures: 2,
  };

  var call = null; // the customer's call
  var agent = null; // the human, once a transfer is dialled
  var asr = null;
  var info = null; // {id, direction, caller, callee, custom_data}
  var seq = 0; // the seq of the next request
  var token = null; // the token of the last answer
  var busy = false; // a turn request is in flight
  var failures = 0;
  var ended = false;
  var reported = false;
  var startedAt = null;
  var connectedAtMs = 0;
  var endReason = 'caller_hangup';
  var transcript = [];
  // A recognition session is one ASR object's life (it recognises utterance after utterance):
  // SpeechKit bills each session in 15-second units, so each session's audio seconds are kept.
  var usage = { ttsChars: 0, ttsRequests: [], asrSessions: 0, asrSeconds: 0, asrSessionSeconds: [], asrOpenedAtMs: null, asrCost: null, callCost: null, duration: 0 };
  var recordingUrl = null;

  // Playback: phrases of the current answer, played one after another.
  var queue = [];
  var playing = null; // {text, bargeIn}
  var heard = []; // phrases the caller heard in full during the current answer
  var after = null; // what to do when the queue is empty: {type: 'listen'|'transfer'|'hangup', …}
  var listenTimer = null;
  var interrupted = null; // the phrase cut short by the caller

  function log(message) {
    Logger.write('[sva] ' + message);
  }

  function nowS() {
    return Math.floor(Date.now() / 1000);
  }

  function rfc3339(ms) {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Recogniser confidence on 0..1 (providers give 0..1 or 0..100). */
  function normaliseConfidence(c) {
    var n = Number(c);
    if (!isFinite(n) || n < 0) return 0;
    return n > 1 ? Math.min(n / 100, 1) : n;
  }

  function voiceOf(name) {
    var neural = VoiceList.Yandex && VoiceList.Yandex.Neural;
    return (neural && (neural[name] || neural[CONFIG.defaultVoice])) || name;
  }

  function sign(body) {
    var ts = nowS();
    return {
      'Content-Type': 'application/json',
      'X-SVA-Tenant': CONFIG.tenant,
      'X-SVA-Timestamp': String(ts),
      'X-SVA-Signature': 'v1=' + Crypto.hmac_sha256(CONFIG.secret, ts + '.' + body),
    };
  }

  async function post(path, body) {
    var result;
    try {
      result = await Net.httpRequestAsync(CONFIG.url + path, {
        method: 'POST',
        headers: sign(body),
        postData: body,
        timeout: CONFIG.requestTimeoutS,
        connectionTimeout: CONFIG.connectionTimeoutS,
      });
    } catch (e) {
      return { code: -1, error: String(e) };
    }
    return result;
  }

  /** Sends one event; plays the answer or, if there is none, the local fallback. */
  async function turn(event, said) {
    if (ended || busy) {
      log('event ' + event.type + ' dropped: ' + (ended ? 'call ended' : 'a turn is in flight'));
      return;
    }
    busy = true;
    clearListenTimer();
    var request = { tenant: CONFIG.tenant, call: info, seq: seq, event: event };
    if (token) request.token = token;
    var body = JSON.stringify(request);
    var sent = Date.now();
    var result = await post('/v1/turn', body);
    if (result.code <= 0 || result.code >= 500) {
      // Network trouble or a server fault: one retry with the same seq and token —
      // the function answers a repeated turn exactly as the first time.
      result = await post('/v1/turn', body);
    }
    busy = false;
    if (ended) return;
    var answer = null;
    if (result.code === 200) {
      try {
        answer = JSON.parse(result.text);
      } catch (e) {
        answer = null;
      }
    }
    if (!answer || !Array.isArray(answer.actions) || typeof answer.token !== 'string') {
      failures += 1;
      log('turn ' + seq + ' failed: HTTP ' + result.code + ' ' + (result.text || result.error || ''));
      transcript.push({ seq: seq, at_ms: sent - connectedAtMs, caller: said || '', assistant: [], latency_ms: Date.now() - sent });
      return fallback();
    }
    failures = 0;
    token = answer.token;
    seq = answer.seq + 1;
    var says = [];
    answer.actions.forEach(function (a) {
      if (a.type === 'say') says.push(a.text);
    });
    transcript.push({ seq: answer.seq, at_ms: sent - connectedAtMs, caller: said || '', assistant: says, latency_ms: Date.now() - sent });
    perform(answer.actions);
  }

  /** No answer from the function: never dead air. */
  function fallback() {
    if (failures >= CONFIG.maxFailures || !token) {
      if (CONFIG.fallbackNumber) {
        return perform([
          { type: 'say', text: CONFIG.transferPhrase, barge_in: false, voice: CONFIG.defaultVoice },
          { type: 'transfer', to: CONFIG.fallbackNumber, summary: 'Ассистент недоступен' },
        ]);
      }
      return perform([
        { type: 'say', text: CONFIG.goodbyePhrase, barge_in: false, voice: CONFIG.defaultVoice },
        { type: 'hangup', reason: 'function_unavailable' },
      ]);
    }
    perform([
      { type: 'say', text: CONFIG.fallbackPhrase, barge_in: true, voice: CONFIG.defaultVoice },
      { type: 'listen', timeout_ms: CONFIG.listenTimeoutMs },
    ]);
  }

  function perform(actions) {
    queue = [];
    heard = [];
    interrupted = null;
    after = { type: 'listen', timeout_ms: CONFIG.listenTimeoutMs };
    actions.forEach(function (a) {
      if (a.type === 'say') queue.push({ text: String(a.text).slice(0, 1500), bargeIn: !!a.barge_in, voice: a.voice });
      else after = a;
    });
    playNext();
  }

  function playNext() {
    if (ended) return;
    var next = queue.shift();
    if (!next) {
      playing = null;
      return finishAnswer();
    }
    playing = next;
    usage.ttsChars += next.text.length;
    usage.ttsRequests.push(next.text.length); // each phrase is one synthesis request
    call.say(next.text, { voice: voiceOf(next.voice || CONFIG.defaultVoice) });
  }

  function onPlaybackFinished() {
    if (!playing) return;
    heard.push(playing.text);
    playNext();
  }

  function finishAnswer() {
    var a = after;
    after = null;
    if (!a) return;
    if (a.type === 'listen') {
      clearListenTimer();
      listenTimer = setTimeout(function () {
        listenTimer = null;
        turn({ type: 'no_input' }, '');
      }, a.timeout_ms || CONFIG.listenTimeoutMs);
    } else if (a.type === 'transfer') {
      transfer(a.to, a.summary);
    } else if (a.type === 'hangup') {
      endReason = 'hangup';
      hangUp();
    }
  }

  function clearListenTimer() {
    if (listenTimer) {
      clearTimeout(listenTimer);
      listenTimer = null;
    }
  }

  // --- the caller speaks -------------------------------------------------------------

  function onCaptureStarted() {
    clearListenTimer();
    if (playing && playing.bargeIn) {
      // Caller speech stops playback; PlaybackFinished does not fire after stopPlayback.
      interrupted = playing.text;
      playing = null;
      queue = [];
      call.stopPlayback();
    }
  }

  function onResult(e) {
    var text = String(e.text || '').trim();
    if (busy || ended) return;
    if (playing && !playing.bargeIn) return; // not to be interrupted: ignore
    if (!text) return;
    var confidence = normaliseConfidence(e.confidence);
    if (interrupted !== null) {
      var h = heard.concat([interrupted]);
      interrupted = null;
      after = null;
      turn({ type: 'barge_in', text: text, confidence: confidence, heard: h.join(' ') }, text);
      return;
    }
    after = null;
    turn({ type: 'utterance', text: text, confidence: confidence }, text);
  }

  function onTone(e) {
    if (busy || ended) return;
    after = null;
    turn({ type: 'dtmf', digits: String(e.tone) }, '');
  }

  // --- transfer, hang-up, the report -------------------------------------------------

  function stopRecognition() {
    if (asr) {
      try {
        call.stopMediaTo(asr);
      } catch (e) {}
      asr.stop();
      asr = null;
    }
  }

  function transfer(to, summary) {
    log('transfer to a manager: ' + summary);
    stopRecognition();
    agent = VoxEngine.callPSTN(to, CONFIG.callerId || (info && info.callee) || '');
    agent.addEventListener(CallEvents.Connected, function () {
      endReason = 'transfer';
      VoxEngine.sendMediaBetween(call, agent);
    });
    agent.addEventListener(CallEvents.Failed, function (e) {
      agent = null;
      startRecognition();
      turn({ type: 'transfer_failed', reason: String(e.code || e.reason || 'failed') }, '');
    });
    agent.addEventListener(CallEvents.Disconnected, function () {
      hangUp();
    });
  }

  function hangUp() {
    if (ended) return;
    ended = true;
    clearListenTimer();
    stopRecognition();
    if (agent) agent.hangup();
    if (call) call.hangup();
    VoxEngine.terminate();
  }

  function report() {
    if (reported || !token) return null;
    reported = true;
    closeRecognitionSession(null);
    var end = {
      tenant: CONFIG.tenant,
      call: info,
      token: token,
      started_at: startedAt,
      duration_s: Math.round(usage.duration || (connectedAtMs ? (Date.now() - connectedAtMs) / 1000 : 0)),
      asr: { sessions: usage.asrSessions, seconds: Math.round(usage.asrSeconds), session_seconds: usage.asrSessionSeconds },
      tts_chars: usage.ttsChars,
      tts_requests: usage.ttsRequests,
      transcript: transcript,
      end_reason: endReason,
    };
    if (usage.callCost !== null) end.telephony_cost = { amount: usage.callCost, currency: 'RUB' };
    if (usage.asrCost !== null) end.asr.cost = { amount: usage.asrCost, currency: 'RUB' };
    if (recordingUrl) end.recording_url = recordingUrl;
    // The one request allowed during Terminating.
    return post('/v1/calls/' + encodeURIComponent(info.id) + '/end', JSON.stringify(end));
  }

  // --- the call's life -----------------------------------------------------------------

  // A session is counted when it opens (audio streams to it from then on, playback
  // included: that is what makes barge-in possible) and closed with the duration
  // Stopped reports, or with the time it was open when the call ends first.
  function closeRecognitionSession(seconds) {
    if (usage.asrOpenedAtMs === null) return;
    var open = (Date.now() - usage.asrOpenedAtMs) / 1000;
    usage.asrOpenedAtMs = null;
    var s = seconds === null ? open : seconds;
    usage.asrSeconds += s;
    usage.asrSessionSeconds.push(s);
  }

  function startRecognition() {
    usage.asrSessions += 1;
    usage.asrOpenedAtMs = Date.now();
    asr = VoxEngine.createASR({ profile: ASRProfileList.Yandex.ru_RU, singleUtterance: true });
    asr.addEventListener(ASREvents.CaptureStarted, onCaptureStarted);
    asr.addEventListener(ASREvents.Result, onResult);
    asr.addEventListener(ASREvents.Stopped, function (e) {
      if (e && typeof e.cost === 'number') usage.asrCost = (usage.asrCost || 0) + e.cost;
      closeRecognitionSession(e && typeof e.duration === 'number' ? e.duration : null);
    });
    // Recognition runs during playback too: that is what makes barge-in possible.
    call.sendMediaTo(asr);
  }

  function attach(c) {
    call = c;
    call.addEventListener(CallEvents.Connected, function () {
      connectedAtMs = Date.now();
      startedAt = rfc3339(connectedAtMs);
      call.handleTones(true);
      startRecognition();
      turn({ type: 'call_started' }, '');
    });
    call.addEventListener(CallEvents.PlaybackFinished, onPlaybackFinished);
    call.addEventListener(CallEvents.ToneReceived, onTone);
    call.addEventListener(CallEvents.RecordStarted, function (e) {
      recordingUrl = e.url || recordingUrl;
    });
    call.addEventListener(CallEvents.Disconnected, function (e) {
      if (e && typeof e.cost === 'number') usage.callCost = e.cost;
      if (e && typeof e.duration === 'number') usage.duration = e.duration;
      if (!ended && endReason !== 'transfer') endReason = endReason === 'hangup' ? 'hangup' : 'caller_hangup';
      ended = true;
      clearListenTimer();
      if (agent) agent.hangup();
      VoxEngine.terminate();
    });
    call.addEventListener(CallEvents.Failed, function (e) {
      log('outbound call failed: ' + e.code + ' ' + e.reason);
      ended = true;
      VoxEngine.terminate();
    });
  }

  var sessionId = null;

  VoxEngine.addEventListener(AppEvents.Started, function (e) {
    sessionId = String(e.sessionId);
    var raw = VoxEngine.customData();
    var campaign = null;
    try {
      campaign = raw ? JSON.parse(raw) : null;
    } catch (err) {
      campaign = null;
    }
    if (campaign && campaign.phone) {
      info = { id: 'vox-' + sessionId, direction: 'outbound', caller: CONFIG.callerId || null, callee: campaign.phone, custom_data: campaign.data || {} };
      attach(VoxEngine.callPSTN(campaign.phone, CONFIG.callerId));
    }
  });

  VoxEngine.addEventListener(AppEvents.CallAlerting, function (e) {
    info = {
      id: 'vox-' + (sessionId || String(Date.now())),
      direction: 'inbound',
      caller: e.callerid ? normaliseNumber(e.callerid) : null,
      callee: e.destination ? normaliseNumber(e.destination) : null,
      custom_data: {},
    };
    attach(e.call);
    e.call.answer();
  });

  VoxEngine.addEventListener(AppEvents.Terminating, function () {
    return report();
  });

  /** Caller ids come as 7XXXXXXXXXX, 8XXXXXXXXXX or +7…: E.164 for the function. */
  function normaliseNumber(n) {
    var digits = String(n).replace(/[^\d]/g, '');
    if (digits.length === 11 && digits[0] === '8') digits = '7' + digits.slice(1);
    return digits ? '+' + digits : null;
  }

  return { config: CONFIG, normaliseConfidence: normaliseConfidence, normaliseNumber: normaliseNumber };
})();
