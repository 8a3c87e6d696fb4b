// CCTV archive player: the timeline of a day under the video. Recorded ranges and gaps
// from the JSON API (api/1/cameras/<camera>/<date>/segments.json), hour marks in the
// camera's time zone, a thumbnail and the wall-clock time of the segment under the
// pointer (or the keyboard cursor), click or Enter to play from that time, zoom from the
// hours with recordings to 5 minutes or the whole day.
// Used by player.js: window.CctvTimeline.create(...). See docs/frontend.md.
'use strict';
(function () {
  const k_gap_ms = 1500;         // the catalog's rule: a break of more than 1.5 s is a gap
  const k_hour_ms = 3600 * 1000;
  const k_refresh_ms = 30 * 1000;  // a day still being recorded is fetched again

  const pad = n => String(n).padStart(2, '0');
  const formatters = new Map();

  // { year, month, day, hour, minute, second } of `ms` in the zone (undefined: the browser's).
  function zoneParts(ms, zone) {
    const key = zone || '';
    let f = formatters.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone || undefined, hourCycle: 'h23', year: 'numeric', month: '2-digit',
        day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
      formatters.set(key, f);
    }
    const out = {};
    for (const p of f.formatToParts(new Date(ms))) {
      if (p.type !== 'literal') out[p.type] = Number(p.value);
    }
    return out;
  }

  // How far the zone's wall clock is ahead of UTC at `ms`.
  function zoneOffset(ms, zone) {
    const p = zoneParts(ms, zone);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
    return asUtc - Math.floor(ms / 1000) * 1000;
  }

  // The UTC instant of local midnight starting `ymd` in the zone.
  function localMidnight(ymd, zone) {
    const [y, m, d] = ymd.split('-').map(Number);
    const guess = Date.UTC(y, m - 1, d);
    const first = guess - zoneOffset(guess, zone);
    return guess - zoneOffset(first, zone);
  }

  const timeText = (ms, zone) => {
    const p = zoneParts(ms, zone);
    return pad(p.hour) + ':' + pad(p.minute) + ':' + pad(p.second);
  };
  const dateText = (ms, zone) => {
    const p = zoneParts(ms, zone);
    return String(p.year).padStart(4, '0') + '-' + pad(p.month) + '-' + pad(p.day);
  };

  // "/front/2026-11-19/thumbs/video_101500.jpg" for a segment URL, or for a converted
  // day's fragment from its local start time (docs/worker.md, "Thumbnails").
  function thumbUrl(item, zone) {
    const m = /^(.*\/)(video_\d{6})\.ts$/.exec(item.url || '');
    if (m) return m[1] + 'thumbs/' + m[2] + '.jpg';
    const f = /^(.*\/)video\.mp4$/.exec(item.url || '');
    if (!f) return '';
    const p = zoneParts(item.startMs, zone);
    return f[1] + 'thumbs/video_' + pad(p.hour) + pad(p.minute) + pad(p.second) + '.jpg';
  }

  function el(tag, cls, parent) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (parent) parent.append(e);
    return e;
  }

  // options: { root (the #timeline section), seek(ms) -> bool, onSeek(ms) }
  function create(options) {
    const root = options.root;
    const bar = root.querySelector('.tl-bar');
    const ranges = root.querySelector('.tl-ranges');
    const scale = root.querySelector('.tl-scale');
    const summary = root.querySelector('.tl-summary');
    const heading = root.querySelector('.tl-heading');
    const playhead = el('div', 'tl-playhead', bar);
    const cursorLine = el('div', 'tl-cursor', bar);
    const preview = el('div', 'tl-preview', bar);
    const img = el('img', '', preview);
    const label = el('span', 'tl-time', preview);
    img.alt = '';
    img.width = 160;
    img.height = 90;
    img.decoding = 'async';
    preview.hidden = true;
    cursorLine.hidden = true;
    // Thumbnails the worker has not made yet (404): not asked for again until the next load.
    const missing = new Set();
    img.addEventListener('error', () => {
      missing.add(img.getAttribute('src'));
      img.hidden = true;
    });
    playhead.hidden = true;

    // Read by the browser tests (tests/browser/timeline.js).
    const state = {
      camera: '', date: '', timeZone: '', items: [], axisStart: 0, axisEnd: 0,
      cursor: null, lastSeek: null, loaded: false, hover: null,
    };
    let refreshTimer = 0;
    let dayState = '';
    let hovering = false;

    const zone = () => state.timeZone;
    const span = () => state.axisEnd - state.axisStart;
    const fraction = ms => (ms - state.axisStart) / span();
    const timeAt = clientX => {
      const r = bar.getBoundingClientRect();
      const x = Math.min(Math.max(clientX - r.left, 0), r.width);
      return state.axisStart + (r.width > 0 ? x / r.width : 0) * span();
    };

    // The item at `ms`, else null; `next`: the first item starting after it.
    function itemAt(ms) {
      for (const it of state.items) {
        if (ms >= it.startMs && ms < it.endMs) return it;
      }
      return null;
    }
    function nextItem(ms) {
      return state.items.find(it => it.startMs > ms) || null;
    }

    function describe(ms) {
      const it = itemAt(ms);
      const t = timeText(ms, zone());
      if (it) return t + ', recorded';
      const next = nextItem(ms);
      return t + ', no recording' + (next ? ' (next at ' + timeText(next.startMs, zone()) + ')' : '');
    }

    function showPreview(ms) {
      const it = itemAt(ms);
      state.hover = { ms, thumb: it ? it.thumb : '' };
      label.textContent = timeText(ms, zone()) + (it ? '' : ' · no recording');
      if (it && it.thumb && !missing.has(it.thumb)) {
        if (img.getAttribute('src') !== it.thumb) img.src = it.thumb;
        img.hidden = false;
      } else {
        img.hidden = true;
      }
      preview.hidden = false;
      const w = bar.clientWidth;
      const pw = preview.offsetWidth || 170;
      const x = Math.min(Math.max(fraction(ms) * w - pw / 2, 0), Math.max(w - pw, 0));
      preview.style.left = x + 'px';
    }

    function hidePreview() {
      preview.hidden = true;
      state.hover = null;
    }

    function setCursor(ms) {
      ms = Math.min(Math.max(ms, state.axisStart), state.axisEnd - 1);
      state.cursor = ms;
      cursorLine.hidden = false;
      cursorLine.style.left = (fraction(ms) * 100) + '%';
      const midnight = localMidnight(state.date, zone());
      bar.setAttribute('aria-valuenow', String(Math.round((ms - midnight) / 1000)));
      bar.setAttribute('aria-valuetext', describe(ms));
      showPreview(ms);
    }

    function seek(ms) {
      // A time in a gap plays from the next recording.
      const it = itemAt(ms);
      const next = it ? null : nextItem(ms);
      const target = it ? ms : (next ? next.startMs : ms);
      const ok = options.seek(target);
      state.lastSeek = { clicked: ms, target, ok };
      if (options.onSeek) options.onSeek(target);
    }

    function render() {
      ranges.textContent = '';
      scale.textContent = '';
      const spans = [];
      for (const it of state.items) {
        const last = spans[spans.length - 1];
        if (last && it.startMs <= last.end + k_gap_ms) last.end = Math.max(last.end, it.endMs);
        else spans.push({ start: it.startMs, end: it.endMs });
      }
      for (const s of spans) {
        const r = el('div', 'tl-range', ranges);
        r.style.left = (fraction(s.start) * 100) + '%';
        r.style.width = (Math.max(fraction(s.end) - fraction(s.start), 0) * 100) + '%';
        r.title = timeText(s.start, zone()) + '–' + timeText(s.end, zone());
      }
      // Marks on local minute or hour boundaries, about 6 to 12 of them.
      const steps = [60000, 2 * 60000, 5 * 60000, 10 * 60000, 30 * 60000, k_hour_ms, 3 * k_hour_ms];
      const step = steps.find(st => span() / st <= 12) || 3 * k_hour_ms;
      const p0 = zoneParts(state.axisStart, zone());
      const intoStep = ((p0.hour * 60 + p0.minute) * 60 + p0.second) * 1000 % step;
      const firstMark = state.axisStart - (state.axisStart % 1000) + (intoStep ? step - intoStep : 0);
      for (let t = firstMark; t <= state.axisEnd + 1; t += step) {
        const p = zoneParts(t, zone());
        const mark = el('span', 'tl-mark', scale);
        mark.style.left = (fraction(t) * 100) + '%';
        mark.textContent = pad(p.hour) + ':' + pad(p.minute);
      }
      const gaps = Math.max(spans.length - 1, 0);
      summary.textContent = spans.length
        ? 'Recorded ' + spans.map(s => timeText(s.start, zone()) + ' to ' + timeText(s.end, zone())).join(', ') +
          (gaps ? '; ' + gaps + (gaps === 1 ? ' gap' : ' gaps') : '; no gaps') + ' (' + (zone() || 'local time') + ').'
        : 'Nothing recorded.';
      heading.textContent = 'Timeline ' + state.date + ' (' + (zone() || 'local time') + ')';
      const midnight = localMidnight(state.date, zone());
      bar.setAttribute('aria-valuemin', String(Math.round((state.axisStart - midnight) / 1000)));
      bar.setAttribute('aria-valuemax', String(Math.round((state.axisEnd - midnight) / 1000)));
      if (state.cursor !== null) setCursor(state.cursor);
      else bar.setAttribute('aria-valuetext', summary.textContent);
    }

    // The axis: the local hours that hold recordings (at least one), inside the day.
    function axis(dayStart, dayEnd) {
      if (!state.items.length) return [dayStart, dayEnd];
      const first = state.items[0].startMs;
      const last = state.items.reduce((m, it) => Math.max(m, it.endMs), first);
      const floorHour = ms => {
        const p = zoneParts(ms, zone());
        return Math.floor(ms / 1000) * 1000 - (p.minute * 60 + p.second) * 1000;
      };
      let start = Math.max(dayStart, floorHour(first));
      let end = Math.min(dayEnd, floorHour(last - 1) + k_hour_ms);
      if (end - start < k_hour_ms) end = Math.min(dayEnd, start + k_hour_ms);
      if (end - start < k_hour_ms) start = Math.max(dayStart, end - k_hour_ms);
      if (end <= start) end = start + k_hour_ms;
      return [start, end];
    }

    async function fetchDay() {
      const url = 'api/1/cameras/' + encodeURIComponent(state.camera) + '/' + state.date + '/segments.json';
      const r = await fetch(url, { cache: 'no-store' });
      if (!r.ok) throw new Error('segments.json answered ' + r.status);
      return r.json();
    }

    async function load(camera, date) {
      clearTimeout(refreshTimer);
      state.camera = camera;
      state.date = date;
      state.pending = true;
      let day;
      try {
        day = await fetchDay();
      } catch (e) {
        state.error = String(e.message || e);
        state.failedDate = date;
        state.pending = false;
        return false;
      }
      if (state.camera !== camera || state.date !== date) return false;  // a newer load
      state.pending = false;
      missing.clear();
      state.timeZone = day.timeZone || '';
      dayState = day.state || '';
      state.items = (day.items || []).map(it => {
        const startMs = Date.parse(it.start);
        const item = { startMs, endMs: startMs + (Number(it.duration) || 0) * 1000, url: it.url, name: it.name || '' };
        item.thumb = thumbUrl(item, state.timeZone);
        return item;
      }).filter(it => Number.isFinite(it.startMs)).sort((a, b) => a.startMs - b.startMs);
      const dayStart = localMidnight(date, state.timeZone);
      const [y, m, d] = date.split('-').map(Number);
      const dayEnd = localMidnight(new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10), state.timeZone);
      // A refresh of the same day keeps the zoom the person chose.
      const same = state.loaded && state.dayStart === dayStart && state.zoomed;
      if (!same) [state.axisStart, state.axisEnd] = axis(dayStart, dayEnd);
      state.zoomed = same;
      state.dayStart = dayStart;
      state.dayEnd = dayEnd;
      root.hidden = false;
      render();
      state.loaded = true;
      if (dayState === 'recording') refreshTimer = setTimeout(() => load(camera, date), k_refresh_ms);
      return true;
    }

    // Zoom: a quarter (or four times) of the span around `at`, from 5 minutes to the day.
    function zoom(factor, at) {
      if (!state.loaded) return;
      const full = state.dayEnd - state.dayStart;
      const width = Math.min(Math.max(span() * factor, 5 * 60000), full);
      if (at === null || at === undefined) at = state.cursor !== null ? state.cursor : state.axisStart + span() / 2;
      let start = at - (at - state.axisStart) / span() * width;
      start = Math.min(Math.max(start, state.dayStart), state.dayEnd - width);
      state.axisStart = Math.round(start);
      state.axisEnd = Math.round(start + width);
      state.zoomed = true;
      render();
      if (options.playing) setPlaying(options.playing());
    }

    // The playing position (wall clock, ms), from the player's tick.
    function setPlaying(ms) {
      if (!state.loaded || ms === null || ms < state.axisStart || ms > state.axisEnd) {
        playhead.hidden = true;
        return;
      }
      playhead.hidden = false;
      playhead.style.left = (fraction(ms) * 100) + '%';
    }

    // True when `ms` is on another local day than the one shown (live playback crossed midnight).
    function otherDay(ms) {
      return state.loaded && !state.pending && (ms < state.dayStart || ms >= state.dayEnd) &&
             dateText(ms, zone()) !== state.failedDate;
    }

    bar.addEventListener('pointermove', e => {
      if (!state.loaded) return;
      hovering = true;
      showPreview(timeAt(e.clientX));
    });
    bar.addEventListener('pointerleave', () => {
      hovering = false;
      if (document.activeElement === bar && state.cursor !== null) showPreview(state.cursor);
      else hidePreview();
    });
    bar.addEventListener('click', e => {
      if (!state.loaded) return;
      const ms = timeAt(e.clientX);
      setCursor(ms);
      seek(ms);
    });
    bar.addEventListener('focus', () => {
      if (!state.loaded) return;
      setCursor(state.cursor !== null ? state.cursor
        : options.playing && options.playing() !== null ? options.playing()
          : (state.items[0] ? state.items[0].startMs : state.axisStart));
    });
    bar.addEventListener('blur', () => {
      cursorLine.hidden = true;
      if (!hovering) hidePreview();
    });
    bar.addEventListener('keydown', e => {
      if (!state.loaded) return;
      const c = state.cursor !== null ? state.cursor : state.axisStart;
      let to = null;
      switch (e.key) {
        case 'ArrowRight': {  // the next segment
          const n = nextItem(c);
          to = n ? n.startMs : c;
          break;
        }
        case 'ArrowLeft': {  // the start of this segment, else the previous one
          const before = state.items.filter(it => it.startMs < c - 500);
          to = before.length ? before[before.length - 1].startMs : c;
          break;
        }
        case 'ArrowUp': to = c + 60000; break;
        case 'ArrowDown': to = c - 60000; break;
        case 'PageUp': to = c + 600000; break;
        case 'PageDown': to = c - 600000; break;
        case 'Home': to = state.items.length ? state.items[0].startMs : state.axisStart; break;
        case 'End': to = state.items.length ? state.items[state.items.length - 1].startMs : state.axisEnd; break;
        case '+':
        case '=':
          e.preventDefault();
          zoom(0.25, c);
          return;
        case '-':
          e.preventDefault();
          zoom(4, c);
          return;
        case 'Enter':
        case ' ':
          e.preventDefault();
          seek(c);
          return;
        default:
          return;
      }
      e.preventDefault();
      setCursor(to);
    });

    const zoomIn = root.querySelector('.tl-zoom-in');
    const zoomOut = root.querySelector('.tl-zoom-out');
    if (zoomIn) zoomIn.addEventListener('click', () => zoom(0.25, options.playing ? options.playing() : null));
    if (zoomOut) zoomOut.addEventListener('click', () => zoom(4, options.playing ? options.playing() : null));

    return { state, load, setPlaying, otherDay, zoom, dateOf: ms => dateText(ms, zone()) };
  }

  window.CctvTimeline = { create, zoneParts, localMidnight, thumbUrl };
})();
