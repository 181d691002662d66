/**
 * activity-pipeline browser tracker: a plain ES module, no dependencies, no build step.
 *
 * Events follow the pipeline's event contract (docs/architecture.md, handlers/event.schema.json)
 * and travel as `{"events": [...]}` to the HTTP API's `POST /events` route. Delivery is at least
 * once: an event stays in storage until the route answered 2xx for a batch holding it, and every
 * event carries a client `event_id` and nothing that changes between attempts, so a retried or
 * re-sent event is byte-identical and the pipeline stores it once (first write wins).
 *
 * What is sent and when:
 * - a batch holds at most `maxBatchEvents` events and `maxBatchBytes` UTF-8 bytes of body, so
 *   two batches in flight stay inside the 64 KiB that a page may have in keepalive requests;
 * - one batch at a time on the flush interval, and at once when a batch is full;
 * - when the page is hidden or left (visibilitychange, pagehide), everything that fits in the
 *   keepalive budget, with `fetch(..., {keepalive: true})`; what did not fit or did not arrive
 *   stays stored and is sent by the next page of the site that runs the tracker;
 * - network errors, 408, 429 and 5xx (and 401 when `authorization` is set) are retried with
 *   exponential backoff and jitter, the same events in the same bytes; a batch answered 400 or
 *   413 is split in halves until the event the route refuses is alone, which is then dropped and
 *   counted in `refused`, as is a batch answered any other 4xx (the route refuses bodies, not
 *   events: an event the pipeline cannot accept is kept in its rejected set with a reason).
 *
 * The queue is bounded (`maxQueueEvents`, `maxQueueBytes`): when it is full the NEW event is
 * dropped (the queued ones are the older, often already in flight), counted in `dropped`, and a
 * `tracker_queue_overflow` event with `properties.dropped` reports the count once there is room.
 */

const DEFAULTS = Object.freeze({
  flushIntervalMs: 5000,
  maxBatchEvents: 100,
  maxBatchBytes: 32000,
  maxQueueEvents: 500,
  maxQueueBytes: 1000000,
  sessionTimeoutMs: 30 * 60 * 1000,
  retryBaseMs: 1000,
  retryMaxMs: 60000,
  autoPageView: true,
  trackClicks: true,
  clickAttribute: "data-track",
  namespace: "ap",
  authorization: null,
  onError: null,
});
// Fetch standard: the bodies of a fetch group's in-flight keepalive requests total at most 64 KiB.
const KEEPALIVE_QUOTA = 65536;
// A stored queue nobody has touched for this long belongs to a page that is gone.
const STALE_QUEUE_MS = 5 * 60 * 1000;
// `{"events":[` + `]}`; the events are joined by commas.
const ENVELOPE_BYTES = 13;
// handlers/event.schema.json: maxLength (in code points) of the fields the tracker fills in.
const MAX_PAGE = 2048;
const MAX_USER_AGENT = 1024;
const MAX_USER_ID = 256;

const encoder = new TextEncoder();

/** A tracker posting to `options.endpoint` (the stack's `http_api_url` + `events`). */
export function createTracker(options) {
  const o = { ...DEFAULTS, ...options };
  if (typeof o.endpoint !== "string" || o.endpoint === "") {
    throw new TypeError("createTracker: options.endpoint (the POST /events URL) is required");
  }
  const store = openStorage();
  const key = (name) => `${o.namespace}:${name}`;
  const queuePrefix = key("q:");
  const queueKey = queuePrefix + uuid();
  const stats = { sent: 0, retries: 0, dropped: 0, refused: 0, lastStatus: null, lastError: null };
  let queue = []; // {j: event JSON text, n: its UTF-8 bytes, id, busy, cap}
  let queuedBytes = 0;
  let inFlight = 0;
  let inFlightBytes = 0;
  let attempt = 0;
  let retryAt = 0;
  let retryTimer = null;
  let closed = false;

  function track(action, properties) {
    if (typeof action !== "string" || action === "") {
      throw new TypeError("track: action must be a non-empty string");
    }
    if (properties !== undefined && !isPlainObject(properties)) {
      throw new TypeError("track: properties must be a plain object");
    }
    const event = build(action, properties || {});
    const text = JSON.stringify(event); // throws on a cycle: the caller learns at once
    const bytes = encoder.encode(text).length;
    if (!enqueue({ j: text, n: bytes, id: event.event_id, busy: false, cap: Infinity })) {
      countDropped(1);
    }
    save();
    if (fullBatchWaiting()) flush();
    return event.event_id;
  }

  function build(action, properties) {
    const now = Date.now();
    const anonymousId = ensureAnonymousId();
    const userId = store.getItem(key("uid"));
    const event = {
      event_id: uuid(),
      user_id: userId || `anon-${anonymousId}`,
      action,
      event_time: new Date(now).toISOString(),
      session_id: touchSession(now),
      page: cut(location.pathname + location.search, MAX_PAGE),
    };
    if (action === "page_view" && document.referrer) {
      event.referrer = cut(document.referrer, MAX_PAGE);
    }
    if (navigator.userAgent) event.user_agent = cut(navigator.userAgent, MAX_USER_AGENT);
    const props = { ...properties };
    if (userId && !("anonymous_id" in props)) props.anonymous_id = anonymousId;
    if (Object.keys(props).length > 0) event.properties = props;
    return event;
  }

  function identify(userId) {
    if (typeof userId !== "string" || userId === "" || [...userId].length > MAX_USER_ID) {
      throw new TypeError(`identify: userId must be a string of 1 to ${MAX_USER_ID} characters`);
    }
    store.setItem(key("uid"), userId);
  }

  /** Forget the user (sign-out): a new anonymous id and a new session. */
  function reset() {
    store.removeItem(key("uid"));
    store.removeItem(key("aid"));
    store.removeItem(key("sid"));
  }

  function ensureAnonymousId() {
    let id = store.getItem(key("aid"));
    if (!id) {
      id = uuid();
      store.setItem(key("aid"), id);
    }
    return id;
  }

  /** The session id, a new one after `sessionTimeoutMs` without an event (shared by tabs). */
  function touchSession(now) {
    let session = readJson(key("sid"));
    if (!session || typeof session.id !== "string" || !(now - session.last <= o.sessionTimeoutMs)) {
      session = { id: uuid(), last: now };
    }
    session.last = now;
    store.setItem(key("sid"), JSON.stringify(session));
    return session.id;
  }

  function enqueue(entry) {
    if (queue.length >= o.maxQueueEvents || queuedBytes + entry.n > o.maxQueueBytes) return false;
    if (entry.n + ENVELOPE_BYTES > o.maxBatchBytes) return false; // could never be sent
    queue.push(entry);
    queuedBytes += entry.n;
    return true;
  }

  function countDropped(count) {
    stats.dropped += count;
    store.setItem(key("drop"), String(Number(store.getItem(key("drop")) || 0) + count));
  }

  /** Once there is room again, one event that says how many were dropped. */
  function reportDropped() {
    const dropped = Number(store.getItem(key("drop")) || 0);
    if (dropped > 0 && queue.length < o.maxQueueEvents) {
      store.removeItem(key("drop"));
      track("tracker_queue_overflow", { dropped });
    }
  }

  function fullBatchWaiting() {
    let count = 0;
    let bytes = ENVELOPE_BYTES;
    for (const entry of queue) {
      if (entry.busy) continue;
      count += 1;
      bytes += entry.n + 1;
      if (count >= o.maxBatchEvents || bytes >= o.maxBatchBytes) return true;
    }
    return false;
  }

  /** The next batch: the oldest idle events within the limits (and `budget` bytes of body). */
  function nextBatch(budget) {
    const batch = [];
    let bytes = ENVELOPE_BYTES - 1;
    let cap = o.maxBatchEvents;
    for (const entry of queue) {
      if (entry.busy) continue;
      const size = bytes + entry.n + 1;
      const limit = Math.min(cap, entry.cap);
      if (size > o.maxBatchBytes || size > budget || batch.length + 1 > limit) break;
      batch.push(entry);
      bytes = size;
      cap = limit;
    }
    return { batch, bytes: Math.max(bytes, ENVELOPE_BYTES) };
  }

  /** Send the next batch unless one is in flight or a retry is pending. */
  function flush() {
    if (inFlight > 0 || Date.now() < retryAt) return;
    const { batch, bytes } = nextBatch(Infinity);
    if (batch.length > 0) send(batch, bytes);
  }

  /** The page is being hidden or left: send all that fits in the keepalive budget, now. */
  function flushAll() {
    for (;;) {
      const budget = KEEPALIVE_QUOTA - inFlightBytes;
      const { batch, bytes } = nextBatch(budget);
      if (batch.length === 0) return;
      send(batch, bytes);
    }
  }

  async function send(batch, bytes) {
    for (const entry of batch) entry.busy = true;
    inFlight += 1;
    inFlightBytes += bytes;
    let status = 0;
    try {
      const headers = { "content-type": "application/json" };
      if (o.authorization) headers.authorization = await o.authorization();
      const response = await fetch(o.endpoint, {
        method: "POST",
        body: `{"events":[${batch.map((entry) => entry.j).join(",")}]}`,
        headers,
        keepalive: true,
        credentials: "omit",
        mode: "cors",
      });
      status = response.status;
    } catch (error) {
      stats.lastError = String(error);
    } finally {
      inFlight -= 1;
      inFlightBytes -= bytes;
    }
    stats.lastStatus = status;
    if (status >= 200 && status < 300) {
      remove(batch);
      stats.sent += batch.length;
      attempt = 0;
      retryAt = 0;
      reportDropped();
    } else if (retryable(status)) {
      for (const entry of batch) entry.busy = false;
      stats.retries += 1;
      backOff();
    } else if ((status === 400 || status === 413) && batch.length > 1) {
      const half = Math.ceil(batch.length / 2); // isolate the event the route refuses
      for (const entry of batch) {
        entry.busy = false;
        entry.cap = Math.min(entry.cap, half);
      }
    } else {
      remove(batch);
      stats.refused += batch.length;
      report(`the route refused ${batch.length} event(s) with HTTP ${status}; dropped`, status);
    }
    save();
    if (!closed) flush();
  }

  function retryable(status) {
    return status === 0 || status === 408 || status === 429 || status >= 500
      || (status === 401 && Boolean(o.authorization));
  }

  function backOff() {
    const delay = Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt = Math.min(attempt + 1, 30);
    retryAt = Date.now() + delay;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryAt = 0; // timers and Date.now() use different clocks: never wait on a rounding
      flush();
    }, delay);
  }

  function remove(batch) {
    const sent = new Set(batch);
    queue = queue.filter((entry) => !sent.has(entry));
    queuedBytes = queue.reduce((total, entry) => total + entry.n, 0);
  }

  function report(message, status) {
    stats.lastError = message;
    if (typeof o.onError === "function") o.onError({ message, status });
    else console.warn(`activity tracker: ${message}`);
  }

  /** Store this page's queue (every unacknowledged event); an empty one leaves no key. */
  function save() {
    try {
      if (queue.length === 0) store.removeItem(queueKey);
      else store.setItem(queueKey, JSON.stringify({ t: Date.now(), closed, q: queue.map((e) => e.j) }));
    } catch (error) {
      stats.lastError = `storage: ${error}`; // quota: the queue lives on in memory
    }
  }

  /** Take over the queues of pages that were left (or went quiet) with events unacknowledged. */
  function adoptOrphans() {
    const now = Date.now();
    const known = new Set(queue.map((entry) => entry.id));
    for (const name of storageKeys(store)) {
      if (!name.startsWith(queuePrefix) || name === queueKey) continue;
      const stored = readJson(name);
      if (stored && !stored.closed && now - stored.t < STALE_QUEUE_MS) continue;
      store.removeItem(name);
      for (const text of (stored && Array.isArray(stored.q) ? stored.q : [])) {
        const id = eventId(text);
        if (id === null || known.has(id)) continue;
        known.add(id);
        if (!enqueue({ j: text, n: encoder.encode(text).length, id, busy: false, cap: Infinity })) {
          countDropped(1);
        }
      }
    }
    save();
  }

  function readJson(name) {
    try {
      return JSON.parse(store.getItem(name) || "null");
    } catch {
      return null;
    }
  }

  function tick() {
    adoptOrphans();
    flush();
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      flushAll();
      save();
    } else {
      flush();
    }
  });
  addEventListener("pagehide", () => {
    closed = true;
    flushAll();
    save();
  });
  addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    closed = false; // back from the back/forward cache: this page owns its queue again
    const stored = readJson(queueKey);
    const texts = new Set(stored && Array.isArray(stored.q) ? stored.q : []);
    queue = queue.filter((entry) => texts.has(entry.j));
    queuedBytes = queue.reduce((total, entry) => total + entry.n, 0);
    save();
  });
  if (o.trackClicks) {
    const attribute = o.clickAttribute;
    document.addEventListener("click", (event) => {
      const element = event.target instanceof Element ? event.target.closest(`[${attribute}]`) : null;
      const action = element && element.getAttribute(attribute);
      if (!action) return;
      const properties = {};
      for (const { name, value } of element.attributes) {
        if (name.startsWith(`${attribute}-`)) {
          properties[name.slice(attribute.length + 1).replaceAll("-", "_")] = value;
        }
      }
      track(action, properties);
    }, true);
  }
  setInterval(tick, o.flushIntervalMs);
  adoptOrphans();
  if (o.autoPageView) track("page_view");

  return {
    track,
    trackPageView: (properties) => track("page_view", properties),
    identify,
    reset,
    flush,
    stats: () => ({ ...stats, queued: queue.length, inFlight }),
    anonymousId: ensureAnonymousId,
    sessionId: () => (readJson(key("sid")) || {}).id || null,
  };
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}

/** At most `limit` code points (the schema's maxLength), never half a surrogate pair. */
function cut(text, limit) {
  const points = Array.from(text);
  return points.length > limit ? points.slice(0, limit).join("") : text;
}

function eventId(text) {
  try {
    const id = JSON.parse(text).event_id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

/** crypto.randomUUID where the page is a secure context, else a v4 UUID from getRandomValues. */
function uuid() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** localStorage, or a store in memory where it cannot be used (disabled, private mode, quota 0). */
function openStorage() {
  try {
    const probe = "__activity_tracker_probe";
    localStorage.setItem(probe, probe);
    localStorage.removeItem(probe);
    return localStorage;
  } catch {
    const items = new Map();
    return {
      getItem: (name) => (items.has(name) ? items.get(name) : null),
      setItem: (name, value) => void items.set(name, String(value)),
      removeItem: (name) => void items.delete(name),
      key: (index) => [...items.keys()][index] ?? null,
      get length() {
        return items.size;
      },
    };
  }
}

function storageKeys(store) {
  const names = [];
  for (let index = 0; index < store.length; index += 1) names.push(store.key(index));
  return names;
}
