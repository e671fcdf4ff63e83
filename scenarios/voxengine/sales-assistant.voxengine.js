/**
 * Sales Voice Assistant — the VoxEngine scenario.
 *
 * VoxEngine owns the media of the call: Yandex SpeechKit recognises the caller and speaks
 * the assistant's phrases. On every caller event this script sends ONE signed request to
 * the dialog function (`POST /v1/turn`, docs/turn-protocol.md) and carries out the
 * actions in the answer: say, listen, transfer to a human, hang up. At the end of the
 * session it reports the call (`POST /v1/calls/{id}/end`) from AppEvents.Terminating.
 *
 * Rules it keeps (docs/voximplant.md):
 *   - never dead air: every wait has a timer; every failure ends in speech, listening
 *     with a timer, a transfer or a hang-up;
 *   - input is never lost: speech and keys that arrive while a turn is pending are
 *     queued and sent as the next turn;
 *   - the call ends in one place, endCall(reason), which waits for Disconnected and
 *     ASR.Stopped (with a safety timer) before VoxEngine.terminate(), so cost, duration
 *     and recognition usage reach the end report.
 *
 * Configuration (application Secrets, VoxEngine.getSecretValue):
 *   SVA_FUNCTION_URL     the dialog function's base URL (API Gateway)
 *   SVA_TENANT           the tenant id
 *   SVA_SIGNING_SECRET   the tenant's signing secret (admin API)
 *   SVA_CALLER_ID        a rented number: caller id for outbound calls and transfers
 *   SVA_FALLBACK_NUMBER  optional: where callers go when the function cannot answer
 * Outbound calls:
 *   - a call-list task (CreateCallList): customData() is the CSV row as flat JSON
 *     {"phone": "79161234567", "tenant", "campaign", "contact", "vm", "__…"}; the script
 *     asks the function first (POST /v1/outbound/dial), dials with answering-machine
 *     detection, and reports every ending to the call list exactly once (CallList);
 *   - a single call (Management API StartScenarios): script_custom_data
 *     {"phone": "+7…", "data": {…}}; with `campaign` or `tenant` in `data` it is checked
 *     and detected like a task, but reports to no call list.
 *
 * Runs on SpiderMonkey (ES2017+), no modules. Tested with Node against a stand-in of the
 * VoxEngine globals (scenarios/voxengine/test/).
 */
require(Modules.ASR);
// AMD (answering-machine detection) for outbound calls: the typings do not say which
// module brings it; Voximplant's call-list example loads Modules.AI.
require(Modules.AI);

var SVA = (function () {
  'use strict';

  function secret(name) {
    return VoxEngine.getSecretValue(name) || '';
  }

  var CONFIG = {
    url: secret('SVA_FUNCTION_URL').replace(/\/+$/, ''),
    tenant: secret('SVA_TENANT'),
    secret: secret('SVA_SIGNING_SECRET'),
    callerId: secret('SVA_CALLER_ID'),
    fallbackNumber: secret('SVA_FALLBACK_NUMBER'),
    // A turn: the caller hears the answer, or the local fallback phrase, at most this
    // long after the recogniser's result (the function's own deadline is 1.2 s).
    turnBudgetMs: 2300,
    // Net.httpRequestAsync timeouts are in seconds (default 90, can only be lowered).
    requestTimeoutS: 2,
    connectionTimeoutS: 1,
    // A request that failed this fast (refused, 5xx) is retried once, with this timeout.
    retryWithinMs: 1000,
    retryTimeoutS: 1,
    reportTimeoutS: 10,
    // Listening: silence → no_input. Speech that started but brought no result within
    // captureTimeoutMs → the recogniser is replaced and the turn is no_input. Noise (an
    // empty result) resumes listening for what is left, at least resumeListenMinMs.
    listenTimeoutMs: 7000,
    captureTimeoutMs: 10000,
    resumeListenMinMs: 2000,
    maxAsrRestarts: 5,
    // Transfers: the manager's phone rings this long unless the answer says otherwise;
    // the whisper to the manager may take at most whisperTimeoutMs.
    transferTimeoutS: 30,
    whisperTimeoutMs: 20000,
    // Russian ringback (425 Hz, 0.8 s on, 3.2 s off), looped.
    ringbackTone: '425@-19;4(.8/3.2/1)',
    // The end: how long to wait for Disconnected and ASR.Stopped before terminate().
    endWaitMs: 5000,
    // Disconnected.cost is in the account's currency; ASR.Stopped.cost too.
    currency: 'RUB',
    // Outbound: the pre-dial check's timeout (s); the detector's timeout (ms, counted from
    // Connected, default 6500, 0..20000 [T:933-936]); how long after Connected the script
    // waits for its verdict before going on as for TIMEOUT; how long it waits for the call
    // list to confirm a report before terminate().
    dialCheckTimeoutS: 5,
    amdTimeoutMs: 5000,
    amdWaitMs: 8000,
    callListWaitMs: 10000,
    // After this many turns the function failed in a row, give up gracefully.
    maxFailures: 2,
    defaultVoice: 'ru_RU_alena',
    // What the caller hears from the script itself.
    fallbackPhrase: 'Извините, связь с системой прервалась. Повторите, пожалуйста.',
    goodbyePhrase: 'Извините, сейчас не могу продолжить разговор. Мы вам перезвоним. До свидания!',
    transferPhrase: 'Соединяю с менеджером.',
    transferHint: 'Чтобы отменить соединение, скажите «не надо» или нажмите любую клавишу.',
    transferFailedPhrase: 'К сожалению, соединить не удалось. Мы вам перезвоним. До свидания!',
    whisperPrefix: 'Звонок от голосового ассистента. ',
    // What the caller may say while the manager's phone rings to go back.
    cancelWords: ['не надо', 'не нужно', 'не соединяйте', 'не хочу', 'отмена', 'отмените', 'отменить', 'стоп', 'хватит', 'передумал', 'передумала'],
  };

  // RFC 4231, test case 2: what Crypto.hmac_sha256 must return (hex or base64).
  var HMAC_VECTOR = {
    key: 'Jefe',
    data: 'what do ya want for nothing?',
    hex: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    base64: 'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=',
  };

  // ---- the call's state: one object ----------------------------------------------------
  var S = {
    call: null, // the customer's call
    callLive: false, // between Connected and Disconnected/Failed
    info: null, // {id, direction, caller, callee, custom_data}
    sessionId: null,
    seq: 0, // the seq of the next request
    token: null, // the token of the last answer
    failures: 0, // turns in a row the function did not answer
    requests: 0,
    request: null, // the turn in flight: {id, event, said, sentAt, body, pendingFinal}
    answer: null, // the answer playing: {phrases, final, heard, current, interrupted, interruptible}
    listening: null, // {deadline, capturing}
    transfer: null, // {to, summary, timeoutS, local, phase, agent, player}
    queue: { digits: '', texts: [], confidence: 1 }, // input that came during a turn
    finalBargedIn: false, // a goodbye or transfer phrase was talked over once already
    asr: null,
    asrRestarts: 0,
    asrStopping: 0, // stopped recognisers whose ASR.Stopped has not come yet
    recording: false,
    recordingUrl: null,
    bridged: false,
    ending: null, // {reason}
    endReason: null, // what the end report says: 'hangup', 'caller_hangup', 'transfer', …
    terminated: false,
    reported: false,
    recovering: false,
    timers: {},
    connectedAtMs: 0,
    startedAt: null,
    transcript: [],
    usage: { ttsChars: 0, ttsRequests: [], asrSessions: [], asrCost: null, callCost: null, duration: null },
    hmacEncoding: null,
    dialogStarted: false, // call_started was sent
  };

  // ---- an outbound campaign call: one object ----------------------------------------------
  var O = {
    kind: null, // 'call_list' (a call-list task), 'single' (StartScenarios), null (inbound)
    campaign: false, // checked before dialling and detected like a campaign call
    number: null, // what callPSTN dials, as the row gives it
    voicemail: 'hangup', // the pre-dial check's policy: 'hangup' or 'message'
    callbackAttempts: 1, // the pre-dial check's attempts for a callback the callee asks for
    amd: null, // the detector on the call
    amdResult: null, // its verdict: HUMAN, VOICEMAIL, TIMEOUT, CALL_ENDED, or ERROR
    amdHandled: false,
    answeredBy: null, // 'human' or 'voicemail' once the dialog started
    failCode: null, // Call.Failed code before an answer
    decision: null, // how the task ended before any dialog (set where it ended)
    reported: false, // the call list has its report (exactly one per task)
    finishing: false,
  };

  // ---- small helpers ------------------------------------------------------------------

  function log(message) {
    Logger.write('[sva] ' + String(message).slice(0, 4000));
  }

  function nowMs() {
    return Date.now();
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

  /** Caller ids come as 7XXXXXXXXXX, 8XXXXXXXXXX or +7…: E.164 for the function. */
  function normaliseNumber(n) {
    var digits = String(n).replace(/[^\d]/g, '');
    if (digits.length === 11 && digits[0] === '8') digits = '7' + digits.slice(1);
    return digits ? '+' + digits : null;
  }

  function voiceOf(name) {
    var neural = VoiceList.Yandex && VoiceList.Yandex.Neural;
    return (neural && (neural[name] || neural[CONFIG.defaultVoice])) || name;
  }

  /** Runs fn; an exception is logged and recovered from, never left to the platform. */
  function guard(where, fn) {
    return function (e) {
      try {
        return fn(e);
      } catch (err) {
        recover(where, err);
      }
    };
  }

  function startTimer(name, ms, fn) {
    stopTimer(name);
    S.timers[name] = setTimeout(
      guard('timer ' + name, function () {
        S.timers[name] = null;
        fn();
      }),
      ms
    );
  }

  function stopTimer(name) {
    if (S.timers[name]) {
      clearTimeout(S.timers[name]);
      S.timers[name] = null;
    }
  }

  function stopAllTimers() {
    for (var name in S.timers) stopTimer(name);
  }

  // ---- signing ------------------------------------------------------------------------

  /**
   * JSON with every non-ASCII character escaped as \uXXXX: the signed text is ASCII, so
   * it is the same bytes whatever encoding Crypto.hmac_sha256 applies to strings.
   */
  function asciiJson(value) {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, function (c) {
      return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }

  /**
   * Checks Crypto.hmac_sha256 against RFC 4231 case 2 and learns its output encoding.
   * The signature header carries whatever the platform produces: the function accepts
   * hex of either case and base64 (standard or URL-safe, padded or not).
   */
  function checkHmac() {
    var got;
    try {
      got = String(Crypto.hmac_sha256(HMAC_VECTOR.key, HMAC_VECTOR.data));
    } catch (e) {
      got = 'exception: ' + e;
    }
    var unpadded = got.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (got.toLowerCase() === HMAC_VECTOR.hex) S.hmacEncoding = 'hex';
    else if (unpadded === HMAC_VECTOR.base64.replace(/=+$/, '')) S.hmacEncoding = 'base64';
    if (S.hmacEncoding) {
      log('Crypto.hmac_sha256 self-test passed: the platform returns ' + S.hmacEncoding);
      return;
    }
    log(
      'ERROR: Crypto.hmac_sha256 self-test FAILED (RFC 4231 case 2, key "Jefe"): got "' + got + '", expected hex ' + HMAC_VECTOR.hex + ' or base64 ' + HMAC_VECTOR.base64 +
        '. The dialog function will refuse every turn (bad_signature); the caller hears only local phrases.'
    );
  }

  function headers(body) {
    var ts = Math.floor(nowMs() / 1000);
    return {
      'Content-Type': 'application/json',
      'X-SVA-Tenant': CONFIG.tenant,
      'X-SVA-Timestamp': String(ts),
      'X-SVA-Signature': 'v1=' + Crypto.hmac_sha256(CONFIG.secret, ts + '.' + body),
    };
  }

  /** One signed POST; network failures come back as {code <= 0}, never as an exception. */
  async function post(path, body, timeoutS) {
    try {
      return await Net.httpRequestAsync(CONFIG.url + path, {
        method: 'POST',
        headers: headers(body),
        postData: body,
        timeout: timeoutS,
        connectionTimeout: CONFIG.connectionTimeoutS,
      });
    } catch (e) {
      return { code: -1, error: String(e) };
    }
  }

  // ---- turns --------------------------------------------------------------------------

  /** Sends one event to the function; the answer (or the local fallback) follows. */
  function sendTurn(event, said, pendingFinal) {
    if (S.ending) return;
    stopTimer('listen');
    stopTimer('capture');
    S.listening = null;
    var request = { tenant: CONFIG.tenant, call: S.info, seq: S.seq, event: event };
    if (S.token) request.token = S.token;
    var req = { id: ++S.requests, event: event, said: said || '', sentAt: nowMs(), body: asciiJson(request), pendingFinal: pendingFinal || null };
    S.request = req;
    startTimer('turn', CONFIG.turnBudgetMs, function () {
      onTurnResult(req, { code: -7, error: 'no answer within ' + CONFIG.turnBudgetMs + ' ms' });
    });
    exchange(req).then(
      guard('turn answer', function (result) {
        onTurnResult(req, result);
      }),
      guard('turn failure', function (e) {
        onTurnResult(req, { code: -1, error: String(e) });
      })
    );
  }

  /** The request, and one quick retry with the same seq and token if it failed fast. */
  async function exchange(req) {
    var result = await post('/v1/turn', req.body, CONFIG.requestTimeoutS);
    var failed = !(result.code > 0 && result.code < 500);
    if (failed && S.request === req && nowMs() - req.sentAt < CONFIG.retryWithinMs) {
      log('turn ' + req.event.type + ' failed fast (' + result.code + '), retrying once');
      result = await post('/v1/turn', req.body, CONFIG.retryTimeoutS);
    }
    return result;
  }

  /** The JSON body of a 200 answer, or null (another status, a failed request, not JSON). */
  function jsonOf(result) {
    if (!result || result.code !== 200) return null;
    try {
      return JSON.parse(result.text);
    } catch (e) {
      return null;
    }
  }

  function parseAnswer(result) {
    var answer = jsonOf(result);
    if (!answer || typeof answer.token !== 'string' || typeof answer.seq !== 'number' || !Array.isArray(answer.actions)) return null;
    // An answer that cannot be carried out in full counts as no answer: the caller hears
    // the local phrase and the next turn repeats this seq.
    var whole = answer.actions.length > 0 && answer.actions.every(function (a) {
      return a && typeof a === 'object' && typeof a.type === 'string';
    });
    return whole ? answer : null;
  }

  function onTurnResult(req, result) {
    if (S.request !== req) {
      log('late answer to turn ' + req.event.type + ' ignored (HTTP ' + (result && result.code) + ')');
      return;
    }
    S.request = null;
    stopTimer('turn');
    if (S.ending) return;
    var latency = Math.max(0, nowMs() - req.sentAt);
    var answer = parseAnswer(result);
    if (!answer) {
      S.failures += 1;
      log('turn ' + S.seq + ' (' + req.event.type + ') failed: HTTP ' + result.code + ' ' + (result.text || result.error || ''));
      S.transcript.push({ seq: S.seq, at_ms: Math.max(0, req.sentAt - S.connectedAtMs), caller: req.said, assistant: [], latency_ms: latency });
      return fallback(req);
    }
    S.failures = 0;
    S.token = answer.token;
    S.seq = answer.seq + 1;
    var says = answer.actions
      .filter(function (a) {
        return a.type === 'say';
      })
      .map(function (a) {
        return String(a.text);
      });
    S.transcript.push({ seq: answer.seq, at_ms: Math.max(0, req.sentAt - S.connectedAtMs), caller: req.said, assistant: says, latency_ms: latency });
    if (answer.options && answer.options.record === true) startRecording();
    perform(answer.actions);
  }

  /** No usable answer: never dead air. */
  function fallback(req) {
    if (req && req.pendingFinal) {
      // The caller talked over a goodbye or a transfer phrase and the function did not
      // answer: what was decided still happens.
      log('no answer to the interruption: carrying out the pending ' + req.pendingFinal.type);
      return perform([], req.pendingFinal);
    }
    if (S.failures >= CONFIG.maxFailures || !S.token) {
      if (CONFIG.fallbackNumber) {
        return perform([{ type: 'say', text: CONFIG.transferPhrase, barge_in: false }], { type: 'transfer', to: CONFIG.fallbackNumber, summary: 'Ассистент недоступен, звонок переведён автоматически.', local: true });
      }
      return perform([{ type: 'say', text: CONFIG.goodbyePhrase, barge_in: false }], { type: 'hangup', reason: 'function_unavailable', local: true });
    }
    perform([{ type: 'say', text: CONFIG.fallbackPhrase, barge_in: true }], { type: 'listen', timeout_ms: CONFIG.listenTimeoutMs });
  }

  /** Something threw: log it and go on with the local phrase (or end, if that fails too). */
  function recover(where, err) {
    log('ERROR in ' + where + ': ' + ((err && err.stack) || err));
    if (S.ending) return maybeTerminate();
    // An outbound call whose dialog has not started has nothing to say yet: it ends, and
    // the call list hears of the failure.
    if (O.kind && !S.dialogStarted) return endCall('script_error');
    if (S.recovering) return endCall('script_error');
    S.recovering = true;
    try {
      S.request = null;
      S.answer = null;
      S.listening = null;
      stopTimer('turn');
      stopTimer('listen');
      stopTimer('capture');
      if (S.transfer) cancelTransfer(S.transfer, 'failed:script');
      else perform([{ type: 'say', text: CONFIG.fallbackPhrase, barge_in: true }], { type: 'listen', timeout_ms: CONFIG.listenTimeoutMs });
    } catch (e) {
      log('ERROR while recovering: ' + e);
      endCall('script_error');
    } finally {
      S.recovering = false;
    }
  }

  // ---- the answer: phrases one after another, then listen / transfer / hang up --------

  var FINALS = { listen: true, transfer: true, hangup: true, ringback: true };

  function isFinalOfCall(action) {
    return action.type === 'hangup' || action.type === 'transfer';
  }

  /** Plays the `say` actions in order, then carries out the last action (or `final`). */
  function perform(actions, final) {
    var answer = { phrases: [], final: final || null, heard: [], current: null, interrupted: null, interruptible: true };
    actions.forEach(function (a) {
      if (a.type === 'say') {
        var text = String(a.text === undefined || a.text === null ? '' : a.text).slice(0, 1500);
        if (text.trim()) answer.phrases.push({ text: text, bargeIn: !!a.barge_in, voice: a.voice });
      } else if (!answer.final) {
        answer.final = a;
      } else {
        log('action ' + a.type + ' after the final one ignored');
      }
    });
    if (!answer.final || !FINALS[answer.final.type]) {
      if (answer.final) log('unknown final action ' + answer.final.type + ': listening instead');
      answer.final = { type: 'listen', timeout_ms: CONFIG.listenTimeoutMs };
    }
    // A goodbye is talked over at most once: the next one plays to the end.
    if (isFinalOfCall(answer.final) && S.finalBargedIn) answer.interruptible = false;
    S.answer = answer;
    playNext();
  }

  function playNext() {
    var a = S.answer;
    if (!a || S.ending) return;
    var next = a.phrases.shift();
    if (!next) {
      S.answer = null;
      return carryOut(a.final);
    }
    a.current = next;
    S.usage.ttsChars += next.text.length;
    S.usage.ttsRequests.push(next.text.length); // each phrase is one synthesis request
    try {
      S.call.say(next.text, { voice: voiceOf(next.voice || CONFIG.defaultVoice) });
    } catch (e) {
      log('say failed: ' + e);
      a.current = null;
      playNext();
    }
  }

  function onPlaybackFinished(e) {
    var a = S.answer;
    if (!a || !a.current) return;
    if (e && e.error) log('phrase not played: ' + e.error + ' — ' + a.current.text.slice(0, 80));
    else a.heard.push(a.current.text);
    a.current = null;
    playNext();
  }

  function carryOut(final) {
    if (final.type === 'listen') {
      if (hasQueued()) return sendQueued();
      return listen(final.timeout_ms);
    }
    if (final.type === 'ringback') return startRingback();
    dropQueued(final.type);
    if (final.type === 'transfer') return startTransfer(final);
    endCall(final.local ? final.reason : 'hangup');
  }

  // ---- listening ----------------------------------------------------------------------

  function listen(timeoutMs) {
    var ms = timeoutMs > 0 ? timeoutMs : CONFIG.listenTimeoutMs;
    S.listening = { deadline: nowMs() + ms, capturing: false };
    startTimer('listen', ms, onSilence);
  }

  function onSilence() {
    sendTurn({ type: 'no_input' }, '');
  }

  /** After noise: listen for what is left of the wait, but at least a short while. */
  function resumeListening() {
    if (!S.listening) return listen(CONFIG.listenTimeoutMs);
    S.listening.capturing = false;
    startTimer('listen', Math.max(S.listening.deadline - nowMs(), CONFIG.resumeListenMinMs), onSilence);
  }

  function canInterrupt(a) {
    return !!(a && a.current && a.interruptible && a.current.bargeIn);
  }

  /** Caller speech stops the phrase; PlaybackFinished does not fire after stopPlayback. */
  function interrupt(a) {
    a.interrupted = a.current;
    a.current = null;
    try {
      S.call.stopPlayback();
    } catch (e) {
      log('stopPlayback failed: ' + e);
    }
  }

  /** Noise stopped a phrase: it is said again, and the rest of the answer plays through. */
  function resumeAfterNoise(a) {
    log('no words after an interruption: the phrase is repeated');
    a.phrases.unshift(a.interrupted);
    a.interrupted = null;
    a.interruptible = false;
    playNext();
  }

  function bargeIn(a, event, said) {
    var heard = a.heard.concat(a.interrupted ? [a.interrupted.text] : []);
    var pendingFinal = isFinalOfCall(a.final) ? a.final : null;
    if (pendingFinal) S.finalBargedIn = true;
    S.answer = null;
    if (event.type === 'barge_in') event.heard = heard.join(' ');
    sendTurn(event, said, pendingFinal);
  }

  function onCaptureStarted(e) {
    if (e.asr !== S.asr || S.ending || S.transfer || S.request) return;
    var a = S.answer;
    if (a) {
      if (!canInterrupt(a)) return;
      interrupt(a);
      startTimer('capture', CONFIG.captureTimeoutMs, onCaptureTimeout);
      return;
    }
    if (S.listening) {
      stopTimer('listen');
      S.listening.capturing = true;
      startTimer('capture', CONFIG.captureTimeoutMs, onCaptureTimeout);
    }
  }

  function onResult(e) {
    if (e.asr !== S.asr) return;
    stopTimer('capture');
    if (S.ending) return;
    var text = String(e.text || '').trim();
    var confidence = normaliseConfidence(e.confidence);
    if (S.transfer) return onSpeechDuringTransfer(S.transfer, text);
    if (S.request) {
      if (text) enqueueSpeech(text, confidence);
      return;
    }
    var a = S.answer;
    if (a) {
      if (a.interrupted) {
        if (!text) return resumeAfterNoise(a);
        return bargeIn(a, { type: 'barge_in', text: text, confidence: confidence }, text);
      }
      if (text && canInterrupt(a)) {
        interrupt(a);
        return bargeIn(a, { type: 'barge_in', text: text, confidence: confidence }, text);
      }
      if (text) log('speech over a phrase that cannot be interrupted, not sent: ' + text);
      return;
    }
    if (S.listening) {
      if (!text) return resumeListening();
      return sendTurn({ type: 'utterance', text: text, confidence: confidence }, text);
    }
    if (text) log('speech ignored (not listening): ' + text);
  }

  /** Started speaking, no result came: replace the recogniser and move on. */
  function onCaptureTimeout() {
    log('speech started but no result in ' + CONFIG.captureTimeoutMs + ' ms');
    replaceRecogniser();
    var a = S.answer;
    if (a && a.interrupted) return resumeAfterNoise(a);
    if (S.listening) sendTurn({ type: 'no_input' }, '');
  }

  function onAsrError(e) {
    if (e.asr !== S.asr) return;
    log('recogniser error: ' + e.error);
    var session = sessionOf(e.asr);
    if (session) session.dead = true;
    stopTimer('capture');
    replaceRecogniser();
    if (S.ending || S.transfer || S.request) return;
    var a = S.answer;
    if (a && a.interrupted) return resumeAfterNoise(a);
    if (S.listening && S.listening.capturing) resumeListening();
  }

  function onTone(e) {
    if (S.ending) return;
    var tone = String(e.tone);
    if (S.transfer) {
      log('key ' + tone + ' during the transfer: cancelled');
      return cancelTransfer(S.transfer, 'cancelled');
    }
    if (S.request) return enqueueDigits(tone);
    var a = S.answer;
    if (a) {
      if (canInterrupt(a) || a.interrupted) {
        if (!a.interrupted) interrupt(a);
        stopTimer('capture');
        return bargeIn(a, { type: 'dtmf', digits: tone }, '');
      }
      return enqueueDigits(tone); // over a phrase that cannot be interrupted: sent after it
    }
    if (S.listening) return sendTurn({ type: 'dtmf', digits: tone }, '');
    enqueueDigits(tone);
  }

  // ---- input that arrives while a turn is pending -----------------------------------

  function enqueueDigits(digits) {
    S.queue.digits += digits;
    log('key ' + digits + ' queued for the next turn (queued: ' + S.queue.digits + ')');
  }

  function enqueueSpeech(text, confidence) {
    S.queue.texts.push(text);
    S.queue.confidence = Math.min(S.queue.confidence, confidence);
    log('speech queued for the next turn: ' + text);
  }

  function hasQueued() {
    return !!(S.queue.digits || S.queue.texts.length);
  }

  /** The next turn carries the queue: all keys as one dtmf event, then the speech. */
  function sendQueued() {
    var q = S.queue;
    if (q.digits) {
      var digits = q.digits;
      q.digits = '';
      return sendTurn({ type: 'dtmf', digits: digits }, '');
    }
    var text = q.texts.join(' ');
    var confidence = q.confidence;
    q.texts = [];
    q.confidence = 1;
    sendTurn({ type: 'utterance', text: text, confidence: confidence }, text);
  }

  function dropQueued(why) {
    if (!hasQueued()) return;
    log('queued input not sent (' + why + '): keys "' + S.queue.digits + '", speech "' + S.queue.texts.join(' ') + '"');
    S.queue = { digits: '', texts: [], confidence: 1 };
  }

  // ---- recognition ----------------------------------------------------------------------

  // A recognition session is one ASR object's life (it recognises utterance after
  // utterance); SpeechKit bills each session in 15-second units, so each one is kept.
  function sessionOf(asr) {
    for (var i = 0; i < S.usage.asrSessions.length; i++) if (S.usage.asrSessions[i].asr === asr) return S.usage.asrSessions[i];
    return null;
  }

  function startRecognition() {
    if (!S.call || !S.callLive || S.ending || S.asr) return;
    var asr;
    try {
      asr = VoxEngine.createASR({ profile: ASRProfileList.Yandex.ru_RU, singleUtterance: true });
    } catch (e) {
      log('createASR failed: ' + e + ' — keys and timers still work');
      return;
    }
    S.asr = asr;
    S.usage.asrSessions.push({ asr: asr, openedAtMs: nowMs(), stoppedAtMs: null, seconds: null, dead: false, awaited: false });
    asr.addEventListener(ASREvents.CaptureStarted, guard('ASR.CaptureStarted', onCaptureStarted));
    asr.addEventListener(ASREvents.Result, guard('ASR.Result', onResult));
    asr.addEventListener(ASREvents.ASRError, guard('ASR.Error', onAsrError));
    asr.addEventListener(ASREvents.Stopped, guard('ASR.Stopped', onAsrStopped));
    // Recognition runs during playback too: that is what makes barge-in possible.
    try {
      S.call.sendMediaTo(asr);
    } catch (e) {
      log('sendMediaTo(asr) failed: ' + e);
    }
  }

  function stopRecognition() {
    var asr = S.asr;
    S.asr = null;
    if (!asr) return;
    var session = sessionOf(asr);
    session.stoppedAtMs = nowMs();
    if (!session.dead) {
      session.awaited = true;
      S.asrStopping += 1;
    }
    try {
      if (S.callLive) S.call.stopMediaTo(asr);
    } catch (e) {}
    try {
      asr.stop();
    } catch (e) {
      log('asr.stop failed: ' + e);
      if (session.awaited) {
        session.awaited = false;
        S.asrStopping -= 1;
      }
    }
  }

  function replaceRecogniser() {
    stopRecognition();
    if (S.asrRestarts >= CONFIG.maxAsrRestarts) {
      log('the recogniser failed ' + S.asrRestarts + ' times: going on without it (keys and timers still work)');
      return;
    }
    S.asrRestarts += 1;
    startRecognition();
  }

  // ASR.Stopped: cost is a string in the account's currency, duration a number of seconds.
  function onAsrStopped(e) {
    var session = sessionOf(e.asr);
    if (!session || session.seconds !== null) return;
    var duration = Number(e.duration);
    session.seconds = isFinite(duration) && duration >= 0 ? duration : ((session.stoppedAtMs || nowMs()) - session.openedAtMs) / 1000;
    var cost = parseFloat(e.cost);
    if (isFinite(cost)) S.usage.asrCost = (S.usage.asrCost || 0) + cost;
    if (session.awaited) {
      session.awaited = false;
      S.asrStopping -= 1;
    }
    maybeTerminate();
  }

  // ---- recording --------------------------------------------------------------------------

  function startRecording() {
    if (S.recording || !S.callLive) return;
    S.recording = true;
    try {
      S.call.record({});
      log('recording the call');
    } catch (e) {
      log('record() failed: ' + e);
    }
  }

  // ---- transfer to a manager ----------------------------------------------------------------

  function startTransfer(action) {
    var t = {
      to: action.to,
      summary: String(action.summary || ''),
      timeoutS: action.timeout_s > 0 ? action.timeout_s : CONFIG.transferTimeoutS,
      local: !!action.local,
      phase: 'ringing',
      agent: null,
      player: null,
    };
    S.transfer = t;
    log('transfer to ' + t.to + ' (rings at most ' + t.timeoutS + ' s): ' + t.summary);
    try {
      t.agent = VoxEngine.callPSTN(t.to, CONFIG.callerId || (S.info && S.info.callee) || '');
    } catch (e) {
      log('dialling the manager failed: ' + e);
      return transferFailed(t, 'failed:dial');
    }
    t.agent.addEventListener(CallEvents.Connected, guard('agent Connected', function () {
      onAgentConnected(t);
    }));
    t.agent.addEventListener(CallEvents.Failed, guard('agent Failed', function (e) {
      if (S.transfer === t) transferFailed(t, failReason(e.code));
    }));
    t.agent.addEventListener(CallEvents.Disconnected, guard('agent Disconnected', function () {
      onAgentDisconnected(t);
    }));
    t.agent.addEventListener(CallEvents.PlaybackFinished, guard('agent PlaybackFinished', function () {
      if (S.transfer === t && t.phase === 'whisper') bridge(t);
    }));
    startTimer('transfer', t.timeoutS * 1000, function () {
      cancelTransfer(t, 'no_answer');
    });
    // The caller learns how to go back, then hears ringback until the manager answers.
    perform([{ type: 'say', text: CONFIG.transferHint, barge_in: false }], { type: 'ringback' });
  }

  function startRingback() {
    var t = S.transfer;
    if (!t || t.phase === 'bridged' || t.player) return;
    try {
      t.player = VoxEngine.createToneScriptPlayer(CONFIG.ringbackTone, { loop: true });
      t.player.sendMediaTo(S.call);
    } catch (e) {
      log('ringback player failed: ' + e + ' — the platform progress tone instead');
      t.player = null;
      try {
        S.call.playProgressTone('RU');
        t.progressTone = true;
      } catch (e2) {
        log('progress tone failed: ' + e2);
      }
    }
  }

  function stopRingback(t) {
    if (t.progressTone) {
      t.progressTone = false;
      try {
        S.call.stopPlayback();
      } catch (e) {}
    }
    if (!t.player) return;
    try {
      t.player.stop();
    } catch (e) {}
    t.player = null;
  }

  function onAgentConnected(t) {
    if (S.transfer !== t) {
      // A leg that answered after the transfer was given up.
      try {
        t.agent.hangup();
      } catch (e) {}
      return;
    }
    stopTimer('transfer');
    t.phase = 'whisper';
    if (!t.summary.trim()) return bridge(t);
    var text = (CONFIG.whisperPrefix + t.summary).slice(0, 1500);
    S.usage.ttsChars += text.length;
    S.usage.ttsRequests.push(text.length);
    try {
      t.agent.say(text, { voice: voiceOf(CONFIG.defaultVoice) });
    } catch (e) {
      log('whisper failed: ' + e);
      return bridge(t);
    }
    startTimer('whisper', CONFIG.whisperTimeoutMs, function () {
      bridge(t);
    });
  }

  function bridge(t) {
    if (S.transfer !== t || t.phase === 'bridged') return;
    stopTimer('whisper');
    t.phase = 'bridged';
    stopRingback(t);
    S.answer = null;
    stopRecognition();
    VoxEngine.sendMediaBetween(S.call, t.agent);
    S.bridged = true;
    log('the caller and the manager are connected');
  }

  function onAgentDisconnected(t) {
    if (S.transfer !== t) return;
    if (t.phase === 'bridged') return endCall('transfer');
    transferFailed(t, 'agent_hangup');
  }

  function onSpeechDuringTransfer(t, text) {
    if (!text || t.phase === 'bridged') return;
    var said = ' ' + text.toLowerCase().replace(/ё/g, 'е').replace(/[^a-zа-я0-9]+/g, ' ') + ' ';
    for (var i = 0; i < CONFIG.cancelWords.length; i++) {
      if (said.indexOf(' ' + CONFIG.cancelWords[i] + ' ') >= 0) {
        log('the caller cancelled the transfer: ' + text);
        return cancelTransfer(t, 'cancelled');
      }
    }
    log('speech during the transfer, not a cancel: ' + text);
  }

  function cancelTransfer(t, reason) {
    if (S.transfer !== t) return;
    if (t.agent) {
      try {
        t.agent.hangup();
      } catch (e) {}
    }
    transferFailed(t, reason);
  }

  /** The transfer did not happen: back to the scenario as a transfer_failed turn. */
  function transferFailed(t, reason) {
    if (S.transfer !== t) return;
    log('transfer failed: ' + reason);
    S.transfer = null;
    stopTimer('transfer');
    stopTimer('whisper');
    stopRingback(t);
    if (S.answer) {
      S.answer = null;
      try {
        S.call.stopPlayback();
      } catch (e) {}
    }
    if (!S.asr) startRecognition();
    if (t.local || !S.token) {
      return perform([{ type: 'say', text: CONFIG.transferFailedPhrase, barge_in: false }], { type: 'hangup', reason: 'transfer_failed', local: true });
    }
    sendTurn({ type: 'transfer_failed', reason: reason }, '');
  }

  /** Call.Failed codes [T:2555-2571] as the protocol's reasons. */
  function failReason(code) {
    if (code === 486 || code === 600) return 'busy';
    if (code === 408 || code === 480 || code === 487) return 'no_answer';
    if (code === 603) return 'rejected';
    return 'failed:' + code;
  }

  // ---- the end --------------------------------------------------------------------------------

  /**
   * The call ends here, whatever the reason ('hangup', 'caller_hangup', 'transfer',
   * 'function_unavailable', 'transfer_failed', 'call_failed', 'script_error'). Hangs
   * everything up, then waits for Disconnected and ASR.Stopped (at most endWaitMs)
   * before terminate(): after terminate() no other event arrives.
   */
  function endCall(reason) {
    if (S.ending) return;
    S.ending = { reason: reason };
    S.endReason = S.bridged ? 'transfer' : reason;
    log('the call ends: ' + S.endReason);
    stopAllTimers();
    S.request = null;
    S.answer = null;
    S.listening = null;
    dropQueued('the call ends');
    if (S.transfer) {
      stopRingback(S.transfer);
      if (S.transfer.agent) {
        try {
          S.transfer.agent.hangup();
        } catch (e) {}
      }
      S.transfer = null; // the manager leg's later events are stale
    }
    stopRecognition();
    if (S.callLive) {
      try {
        S.call.hangup();
      } catch (e) {
        log('hangup failed: ' + e);
      }
    }
    startTimer('end', CONFIG.endWaitMs, function () {
      log('the end events did not all arrive (Disconnected: ' + !S.callLive + ', recognisers still stopping: ' + S.asrStopping + '); ending anyway');
      finish();
    });
    maybeTerminate();
  }

  function maybeTerminate() {
    if (!S.ending || S.terminated || S.callLive || S.asrStopping > 0) return;
    finish();
  }

  function terminate() {
    if (S.terminated) return;
    S.terminated = true;
    stopAllTimers();
    VoxEngine.terminate();
  }

  function onDisconnected(e) {
    S.callLive = false;
    var cost = e ? Number(e.cost) : NaN;
    if (e && e.cost !== undefined && e.cost !== null && isFinite(cost)) S.usage.callCost = cost;
    var duration = e ? Number(e.duration) : NaN;
    if (e && e.duration !== undefined && isFinite(duration)) S.usage.duration = duration;
    if (S.ending) return maybeTerminate();
    endCall(S.bridged ? 'transfer' : 'caller_hangup');
  }

  function onCallFailed(e) {
    S.callLive = false;
    if (!S.connectedAtMs) O.failCode = e.code;
    log('the call failed: ' + e.code + ' ' + e.reason);
    if (S.ending) return maybeTerminate();
    endCall('call_failed');
  }

  /** The end report: the one request VoxEngine allows during Terminating. */
  /** How long the call was connected, in whole seconds (Disconnected's duration once known). */
  function callSeconds() {
    var seconds = S.usage.duration !== null ? S.usage.duration : S.connectedAtMs ? (nowMs() - S.connectedAtMs) / 1000 : 0;
    return Math.max(0, Math.round(seconds));
  }

  function report() {
    if (S.reported || !S.token || !S.info) return null;
    S.reported = true;
    var now = nowMs();
    var sessionSeconds = S.usage.asrSessions.map(function (s) {
      var seconds = s.seconds !== null ? s.seconds : ((s.stoppedAtMs || now) - s.openedAtMs) / 1000;
      return Math.round(seconds * 10) / 10;
    });
    var total = sessionSeconds.reduce(function (sum, s) {
      return sum + s;
    }, 0);
    var end = {
      tenant: CONFIG.tenant,
      call: S.info,
      token: S.token,
      started_at: S.startedAt,
      duration_s: callSeconds(),
      asr: { sessions: sessionSeconds.length, seconds: Math.round(total), session_seconds: sessionSeconds },
      tts_chars: S.usage.ttsChars,
      tts_requests: S.usage.ttsRequests,
      transcript: S.transcript,
      end_reason: S.endReason || 'caller_hangup',
    };
    if (S.usage.callCost !== null) end.telephony_cost = { amount: S.usage.callCost, currency: CONFIG.currency };
    if (S.usage.asrCost !== null) end.asr.cost = { amount: Math.round(S.usage.asrCost * 10000) / 10000, currency: CONFIG.currency };
    if (S.recordingUrl) end.recording_url = S.recordingUrl;
    return post('/v1/calls/' + encodeURIComponent(S.info.id) + '/end', asciiJson(end), CONFIG.reportTimeoutS);
  }

  // ---- outbound: the call-list task, the pre-dial check, answering machines ------------------
  //
  // Checked against voximplant/voxengine-ci v28.0.0, typings/voxengine.d.ts: AMD.create,
  // AMD.Model.RU, AMD.Events.DetectionComplete {resultClass: HUMAN | VOICEMAIL | TIMEOUT |
  // CALL_ENDED, confidence} and DetectionError [T:924-1160]; VoxEngine.callPSTN(number,
  // callerid, {amd}) [T:3255-3264, T:10149]; CallList.reportResult(result: string|Object,
  // callback), reportError(error: string|Object, callback), requestNextAttempt(data:
  // Object, callback) [T:3713-3830]; `start_at` is a Unix time in seconds (the guide
  // https://voximplant.com/docs/guides/solutions/editable-call-lists).

  /** A call-list task: the CSV row as flat JSON (docs/voximplant.md, "Outbound campaigns"). */
  function startTask(row, raw) {
    O.kind = 'call_list';
    O.campaign = true;
    if (!row || typeof row !== 'object' || !row.phone) {
      log('ERROR: the call-list row is not usable: ' + String(raw).slice(0, 200));
      // Nothing to dial, now or later: a retry would only spend the list's attempts.
      return endBeforeDialling({ method: 'reportResult', data: { result: 'not_dialled', reason: 'bad_row' } });
    }
    var data = {};
    for (var k in row) if (Object.prototype.hasOwnProperty.call(row, k) && k.indexOf('__') !== 0) data[k] = row[k];
    S.info = outboundInfo(row.phone, data);
    if (row.tenant && String(row.tenant) !== CONFIG.tenant) {
      log('ERROR: the row is for tenant ' + row.tenant + ', this application signs for ' + CONFIG.tenant + ': not dialled');
      return endBeforeDialling({ method: 'reportResult', data: taskData({ result: 'not_dialled', reason: 'tenant_mismatch' }) });
    }
    checkThenDial(String(row.phone));
  }

  /** The call as the function sees it; the callee normalised as for inbound calls. */
  function outboundInfo(phone, data) {
    return { id: 'vox-' + S.sessionId, direction: 'outbound', caller: CONFIG.callerId || null, callee: normaliseNumber(phone), custom_data: data };
  }

  /** A single call (StartScenarios): checked and detected when it is a campaign's. */
  function startSingle(custom) {
    O.kind = 'single';
    S.info = outboundInfo(custom.phone, custom.data);
    O.campaign = !!(custom.data.campaign || custom.data.tenant);
    if (O.campaign) return checkThenDial(String(custom.phone));
    attach(VoxEngine.callPSTN(custom.phone, CONFIG.callerId));
  }

  /** The pre-dial check (docs/turn-protocol.md): never dial unchecked. */
  function checkThenDial(number) {
    O.number = number;
    post('/v1/outbound/dial', asciiJson({ tenant: CONFIG.tenant, call: S.info }), CONFIG.dialCheckTimeoutS).then(
      guard('the pre-dial check', onDialCheck),
      guard('the pre-dial check', function (e) {
        onDialCheck({ code: -1, error: String(e) });
      })
    );
  }

  function onDialCheck(result) {
    if (S.ending) return;
    var answer = jsonOf(result);
    if (answer && answer.dial === true) {
      O.voicemail = answer.voicemail === 'message' ? 'message' : 'hangup';
      O.callbackAttempts = attemptsOf(answer.callback_attempts) || 1;
      // The contact's data for the scenario travels with every turn from here (the
      // row's own columns win).
      var contact = answer.contact && typeof answer.contact === 'object' ? answer.contact : {};
      for (var key in contact) {
        if (Object.prototype.hasOwnProperty.call(contact, key) && !Object.prototype.hasOwnProperty.call(S.info.custom_data, key)) S.info.custom_data[key] = String(contact[key]);
      }
      return dial();
    }
    if (answer && answer.dial === false) {
      var reason = String(answer.reason || 'unknown');
      var retryAt = answer.retry_at ? Date.parse(answer.retry_at) : NaN;
      log('not dialled: ' + reason + (isFinite(retryAt) ? ', next attempt at ' + answer.retry_at : ''));
      // Not dialled: the attempts the campaign still gives, not one fewer.
      if (isFinite(retryAt)) return endBeforeDialling(nextAttempt(retryAt, 'not_dialled:' + reason, attemptsOf(answer.attempts_left)));
      return endBeforeDialling({ method: 'reportResult', data: taskData({ result: 'not_dialled', reason: reason }) });
    }
    log('ERROR: the pre-dial check failed (HTTP ' + (result && result.code) + ' ' + ((result && (result.text || result.error)) || '') + '): not dialled, the call list tries again later');
    endBeforeDialling({ method: 'reportError', data: taskData({ error: 'dial_check_failed', code: result ? result.code : null }) });
  }

  /** Dials with the answering-machine detector (Russian model). */
  function dial() {
    var amd = null;
    try {
      amd = AMD.create({ model: AMD.Model.RU, timeout: CONFIG.amdTimeoutMs });
      amd.addEventListener(AMD.Events.DetectionComplete, guard('AMD.DetectionComplete', function (e) {
        // confidence is optional [T:1057]
        log('answering-machine detector: ' + e.resultClass + (e.confidence !== undefined ? ' (confidence ' + e.confidence + ')' : ''));
        onAmdVerdict(String(e.resultClass));
      }));
      amd.addEventListener(AMD.Events.DetectionError, guard('AMD.DetectionError', function (e) {
        log('answering-machine detector failed: ' + e.message);
        onAmdVerdict('ERROR');
      }));
    } catch (e) {
      log('no answering-machine detector (' + e + '): whoever answers is taken for a person');
      amd = null;
    }
    O.amd = amd;
    attach(VoxEngine.callPSTN(O.number, CONFIG.callerId, amd ? { amd: amd } : undefined));
  }

  function onAmdVerdict(resultClass) {
    O.amdResult = O.amdResult || resultClass;
    if (S.callLive) onAmdResult(O.amdResult);
  }

  function onAmdResult(resultClass) {
    if (O.amdHandled || S.dialogStarted || S.ending) return;
    O.amdHandled = true;
    stopTimer('amd');
    if (resultClass === 'VOICEMAIL') {
      if (O.voicemail === 'message') return startDialog('voicemail'); // the scenario leaves a short message
      return endCall('voicemail');
    }
    // CALL_ENDED: the callee hung up during detection; Disconnected ends the call.
    if (resultClass === 'CALL_ENDED') return;
    // HUMAN; and TIMEOUT (or a detector error) too: the detector could not tell in time,
    // which is most often a person who has not spoken yet. Hanging up on them would lose
    // the lead and leave them a silent line; the opening names the assistant and the
    // company either way, and a machine that goes on playing only meets no_input turns
    // and the scenario's goodbye.
    startDialog('human');
  }

  /** The task ends before any dialog (not dialled, or the check failed). */
  function endBeforeDialling(decision) {
    O.decision = decision;
    endCall('not_dialled');
  }

  /** What every call-list report carries besides its verdict. */
  function taskData(fields) {
    var data = { call_id: S.info ? S.info.id : 'vox-' + S.sessionId };
    if (O.answeredBy) data.answered_by = O.answeredBy;
    for (var k in fields) data[k] = fields[k];
    return data;
  }

  /**
   * requestNextAttempt at `atMs` (not earlier than a minute from now). `attemptsLeft`
   * (0..5, or null) sets the task's remaining attempts; left out, the call list takes one
   * off them [T:3814] and the task fails once none are left.
   */
  function nextAttempt(atMs, why, attemptsLeft) {
    var startAt = Math.ceil(Math.max(atMs, nowMs() + 60000) / 1000);
    var data = { start_at: startAt, error: why };
    if (attemptsLeft !== null && attemptsLeft !== undefined) data.attempts_left = attemptsLeft;
    return { method: 'requestNextAttempt', data: data };
  }

  /** A count of attempts from the function (a whole number 0..5), or null. */
  function attemptsOf(n) {
    return typeof n === 'number' && n >= 0 && n <= 5 && Math.floor(n) === n ? n : null;
  }

  /**
   * How the task ended, for the call list: a dialog → reportResult (a callback the caller
   * asked for → requestNextAttempt at its time with the campaign's attempts); busy, no answer, a failed call, an
   * answering machine hung up on, a script failure → reportError (the list retries).
   * `ended` is the dialog function's answer to the end report, or null.
   */
  function decide(ended) {
    if (O.decision) return O.decision;
    var duration = callSeconds();
    if (!S.dialogStarted) {
      var error;
      if (S.endReason === 'script_error') error = 'script_error';
      else if (O.failCode !== null) error = failReason(O.failCode).replace(/^failed:.*/, 'failed');
      else if (O.amdResult === 'VOICEMAIL') error = 'voicemail';
      else if (S.connectedAtMs) error = 'dropped';
      else error = S.endReason || 'not_connected';
      var data = taskData({ error: error });
      if (O.failCode !== null) data.code = O.failCode;
      return { method: 'reportError', data: data };
    }
    var outcome = ended ? ended.outcome || null : null;
    if (S.endReason === 'script_error' || S.endReason === 'function_unavailable') {
      return { method: 'reportError', data: taskData({ error: S.endReason, outcome: outcome, duration_s: duration }) };
    }
    if (O.answeredBy === 'voicemail') {
      return { method: 'reportResult', data: taskData({ result: 'voicemail_message', outcome: outcome, duration_s: duration }) };
    }
    if (outcome === 'callback' && ended.callback_at) {
      var at = Date.parse(ended.callback_at);
      // The callee asked for it: the campaign's attempts for the callback, however many
      // this task had left (on its last one the call list would otherwise drop it).
      if (isFinite(at) && at > nowMs()) return nextAttempt(at, 'callback', O.callbackAttempts);
      log('the callback time ' + ended.callback_at + ' is not in the future: the task is reported as done');
    }
    var result = taskData({ result: 'answered', outcome: outcome, duration_s: duration, end_reason: S.endReason || null });
    if (!ended) result.note = 'the end report failed: outcome unknown';
    return { method: 'reportResult', data: result };
  }

  /**
   * The one report of the task to the call list; `then` runs once it is confirmed (or
   * after callListWaitMs). Never twice: the typings [T:3713-3830] give a second report no
   * meaning.
   */
  function tellCallList(decision, then) {
    if (O.kind !== 'call_list' || O.reported) return then && then();
    O.reported = true;
    var done = false;
    var next = function () {
      if (done) return;
      done = true;
      stopTimer('callList');
      if (then) then();
    };
    if (then) {
      startTimer('callList', CONFIG.callListWaitMs, function () {
        log('the call list did not confirm ' + decision.method + ' in ' + CONFIG.callListWaitMs + ' ms');
        next();
      });
    }
    log('call list: ' + decision.method + ' ' + JSON.stringify(decision.data));
    try {
      CallList[decision.method](decision.data, function (result) {
        log('call list: ' + decision.method + ' answered ' + (result && result.code));
        next();
      });
    } catch (e) {
      log('ERROR: CallList.' + decision.method + ' failed: ' + e);
      next();
    }
  }

  /**
   * The session's last steps before terminate(). A call-list task sends its end report
   * now (not from Terminating: the dialog function's answer says the outcome and the
   * callback time) and then tells the call list; everything else terminates at once.
   */
  function finish() {
    if (S.terminated || O.finishing) return;
    if (O.kind !== 'call_list') return terminate();
    O.finishing = true;
    stopTimer('end');
    var sent = null;
    try {
      sent = report();
    } catch (e) {
      log('ERROR in the end report: ' + e);
    }
    if (!sent) return tellCallList(decide(null), terminate);
    var settled = false;
    var go = guard('the end report', function (result) {
      if (settled) return;
      settled = true;
      stopTimer('endReport');
      var ended = jsonOf(result);
      if (!ended) {
        log('the end report failed (HTTP ' + (result && result.code) + '); it is sent again from Terminating');
        S.reported = false;
      }
      tellCallList(decide(ended), terminate);
    });
    startTimer('endReport', (CONFIG.reportTimeoutS + 1) * 1000, function () {
      go({ code: -7 });
    });
    sent.then(go, function (e) {
      go({ code: -1, error: String(e) });
    });
  }

  // ---- the call's life --------------------------------------------------------------------

  function onConnected() {
    S.callLive = true;
    S.connectedAtMs = nowMs();
    S.startedAt = rfc3339(S.connectedAtMs);
    if (O.amd) {
      // Nothing is said before the detector's verdict: a voicemail greeting must not be
      // talked over, nor recognised (and billed).
      startTimer('amd', CONFIG.amdWaitMs, function () {
        log('no verdict from the answering-machine detector in ' + CONFIG.amdWaitMs + ' ms: going on as for TIMEOUT');
        onAmdResult('TIMEOUT');
      });
      if (O.amdResult) onAmdResult(O.amdResult);
      return;
    }
    startDialog(O.campaign ? 'human' : null);
  }

  /** The dialog begins: keys, recognition and the call_started turn. */
  function startDialog(answeredBy) {
    if (S.dialogStarted || S.ending || !S.callLive) return;
    S.dialogStarted = true;
    O.answeredBy = answeredBy || 'human';
    if (answeredBy) S.info.custom_data.answered_by = answeredBy;
    try {
      S.call.handleTones(true);
    } catch (e) {
      log('handleTones failed: ' + e);
    }
    startRecognition();
    sendTurn({ type: 'call_started' }, '');
  }

  function attach(call) {
    S.call = call;
    call.addEventListener(CallEvents.Connected, guard('Connected', onConnected));
    call.addEventListener(CallEvents.PlaybackFinished, guard('PlaybackFinished', onPlaybackFinished));
    call.addEventListener(CallEvents.ToneReceived, guard('ToneReceived', onTone));
    call.addEventListener(CallEvents.RecordStarted, guard('RecordStarted', function (e) {
      S.recordingUrl = e.url || S.recordingUrl;
    }));
    call.addEventListener(CallEvents.RecordStopped, guard('RecordStopped', function (e) {
      S.recordingUrl = S.recordingUrl || e.url || null;
    }));
    call.addEventListener(CallEvents.RecordError, guard('RecordError', function (e) {
      log('recording failed: ' + e.error);
    }));
    call.addEventListener(CallEvents.Disconnected, guard('Disconnected', onDisconnected));
    call.addEventListener(CallEvents.Failed, guard('Failed', onCallFailed));
  }

  VoxEngine.addEventListener(AppEvents.Started, guard('Started', function (e) {
    S.sessionId = String(e.sessionId);
    var raw = VoxEngine.customData();
    if (!raw) return; // an inbound session: CallAlerting follows
    var custom = null;
    try {
      custom = JSON.parse(raw);
    } catch (err) {
      custom = null;
    }
    if (custom && typeof custom === 'object' && custom.phone && custom.data && typeof custom.data === 'object') return startSingle(custom);
    startTask(custom, raw);
  }));

  VoxEngine.addEventListener(AppEvents.CallAlerting, guard('CallAlerting', function (e) {
    S.info = {
      id: 'vox-' + (S.sessionId || String(nowMs())),
      direction: 'inbound',
      caller: e.callerid ? normaliseNumber(e.callerid) : null,
      callee: e.destination ? normaliseNumber(e.destination) : null,
      custom_data: {},
    };
    attach(e.call);
    e.call.answer();
  }));

  // The request must start inside the handler: report() calls Net.httpRequestAsync
  // before its first await.
  // A call-list task that was not reported yet (the platform ended the session: a
  // failure, the session limit) gets reportError here: a silent task would count as
  // successful and never be tried again. That is then the one request, and the end
  // report is lost (logged).
  VoxEngine.addEventListener(AppEvents.Terminating, function () {
    try {
      if (O.kind === 'call_list' && !O.reported) {
        log('ERROR: the session ends before the call list was told; reporting an error' + (S.token && !S.reported ? ' (the end report of this call is lost)' : ''));
        tellCallList({ method: 'reportError', data: taskData({ error: 'terminated' }) }, null);
        return;
      }
      report();
    } catch (e) {
      log('ERROR in the end report: ' + e);
    }
  });

  checkHmac();

  return { config: CONFIG, normaliseConfidence: normaliseConfidence, normaliseNumber: normaliseNumber, asciiJson: asciiJson, state: S, outbound: O };
})();
