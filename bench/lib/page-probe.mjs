// The in-page side of bench/web.mjs: installed with page.addInitScript (through the DevTools protocol, so the app's
// strict CSP does not apply), it runs before the app's own scripts on every document the page loads. Everything it
// keeps is bounded.
/* global document, innerHeight, MutationObserver, PerformanceObserver, requestAnimationFrame, XPathResult */

/**
 * Records into `globalThis.__webBench`: long tasks (PerformanceObserver 'longtask', buffered), the first input and
 * event timings ('first-input', 'event'), and, while `recordFrames` is on, every animation frame's time and every
 * frame in which the DOM changed. With `marker` set, checks once per frame whether the textbox named "Message" is
 * enabled (`boxEnabledAt`) and whether the last message (the last `article`, else any element whose own text holds the
 * marker) contains `marker` and is inside the viewport (`lastMessageInViewAt`); `readyAt` is the first frame with both
 * (ms since navigation start; a condition that stops holding later is not taken back).
 */
export function pageProbe(marker) {
  const MAX_ENTRIES = 20_000;
  const state = {
    longTasks: [],
    firstInput: null,
    events: [],
    readyAt: null,
    boxEnabledAt: null,
    lastMessageInViewAt: null,
    recording: false,
    frames: [],
    domUpdateFrames: 0,
  };
  globalThis.__webBench = state;
  const push = (list, item) => {
    if (list.length < MAX_ENTRIES) list.push(item);
  };

  const observe = (type, onEntry, extra = {}) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(onEntry)).observe({ type, buffered: true, ...extra });
    } catch {
      // this entry type is not supported: its figures stay empty
    }
  };
  observe('longtask', (e) => push(state.longTasks, { start: e.startTime, duration: e.duration }));
  observe('first-input', (e) => {
    state.firstInput = { name: e.name, start: e.startTime, delay: e.processingStart - e.startTime, duration: e.duration };
  });
  observe('event', (e) => push(state.events, { name: e.name, start: e.startTime, delay: e.processingStart - e.startTime, duration: e.duration }), { durationThreshold: 16 });

  // The accessible name as far as the app's text fields can carry it (aria-label, aria-labelledby, <label>, placeholder).
  const nameOf = (el) => {
    const label = el.getAttribute('aria-label');
    if (label) return label.trim();
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
    const own = el.labels?.[0]?.textContent;
    if (own) return own.trim();
    return (el.getAttribute('placeholder') ?? el.getAttribute('title') ?? '').trim();
  };
  const messageBoxEnabled = () => {
    for (const el of document.querySelectorAll('textarea, input, [role="textbox"], [contenteditable="true"]')) {
      if (nameOf(el) !== 'Message') continue;
      return !el.disabled && el.getAttribute('aria-disabled') !== 'true';
    }
    return false;
  };
  const lastMessage = () => {
    const articles = document.getElementsByTagName('article');
    const last = articles[articles.length - 1];
    if (last?.textContent.includes(marker)) return last;
    if (!document.body?.textContent.includes(marker)) return null;
    const hit = document.evaluate(`(//*[contains(text(), '${marker}')])[last()]`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null);
    return hit.singleNodeValue;
  };
  const inViewport = (el) => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.bottom > 0 && r.top < innerHeight;
  };

  let domChanged = false;
  const onFrame = (t) => {
    if (state.recording) {
      push(state.frames, t);
      if (domChanged) state.domUpdateFrames++;
    }
    domChanged = false;
    if (marker && state.readyAt === null) {
      const now = performance.now();
      if (state.boxEnabledAt === null && messageBoxEnabled()) state.boxEnabledAt = now;
      if (state.lastMessageInViewAt === null) {
        const el = lastMessage();
        if (el && inViewport(el)) state.lastMessageInViewAt = now;
      }
      if (state.boxEnabledAt !== null && state.lastMessageInViewAt !== null) state.readyAt = now;
    }
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);
  const startMutations = () =>
    new MutationObserver(() => {
      domChanged = true;
    }).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
  if (document.documentElement) startMutations();
  else document.addEventListener('DOMContentLoaded', startMutations, { once: true });
}
