#!/usr/bin/env node
// The player's timeline in Chromium: it shows the recorded ranges of the day with the gap
// between them; hovering shows the thumbnail of the segment under the pointer (an image
// that loads) and its time; a click seeks the video to that wall-clock time (a click in a
// gap plays from the next recording); the keyboard moves a cursor by segments and Enter
// plays from it; + and - zoom.
// Usage: node tests/browser/timeline.js BASE_URL --camera C --date D [--tz ZONE] [--ranges N]
'use strict';
const { parseArgs, run, check } = require('./browser.js');

const opt = parseArgs(process.argv.slice(2), { tz: 'UTC', ranges: '2' });
if (!opt.base || !opt.camera || !opt.date) {
  console.error('usage: node tests/browser/timeline.js BASE_URL --camera C --date D [--tz ZONE] [--ranges N]');
  process.exit(2);
}

run('timeline.js', async (browser, result) => {
  const context = await browser.newContext({ timezoneId: opt.tz, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', e => consoleErrors.push(e.message));

  await page.goto(opt.base + '/player.html?camera=' + encodeURIComponent(opt.camera) + '&date=' + opt.date,
                  { waitUntil: 'load' });
  await page.waitForFunction(() => {
    const p = window.cctvPlayer;
    return p && (p.fatal || (p.timeline && p.timeline.loaded && document.querySelector('video').currentTime > 0.3));
  }, null, { timeout: 60000 }).catch(() => {});
  const tl = await page.evaluate(() => {
    const t = window.cctvPlayer.timeline, bar = document.querySelector('#timeline .tl-bar');
    return {
      fatal: window.cctvPlayer.fatal, loaded: !!(t && t.loaded), hidden: document.getElementById('timeline').hidden,
      items: t ? t.items.map(i => [i.startMs, i.endMs, i.thumb]) : [], axis: t ? [t.axisStart, t.axisEnd] : [],
      ranges: document.querySelectorAll('#timeline .tl-range').length,
      role: bar.getAttribute('role'), tabindex: bar.tabIndex, label: document.getElementById('timeline-heading').textContent,
      summary: document.getElementById('timeline-summary').textContent, marks: document.querySelectorAll('.tl-mark').length,
    };
  });
  Object.assign(result, { fatal: tl.fatal, ranges: tl.ranges, items: tl.items.length, axis: tl.axis, summary: tl.summary });
  check(!tl.fatal, 'fatal player error ' + tl.fatal);
  check(tl.loaded && !tl.hidden, 'the timeline did not show');
  check(tl.items.length > 0, 'the timeline has no segments');
  check(tl.ranges === Number(opt.ranges), tl.ranges + ' recorded ranges drawn, expected ' + opt.ranges);
  check(tl.role === 'slider' && tl.tabindex === 0, 'the timeline is not a focusable slider');
  check(/Timeline/.test(tl.label) && /Recorded/.test(tl.summary), 'the timeline has no accessible name or summary');
  check(tl.marks >= 2, 'no time marks under the timeline');

  const box = await page.locator('#timeline .tl-bar').boundingBox();
  const [axisStart, axisEnd] = tl.axis;
  const xOf = ms => box.x + (ms - axisStart) / (axisEnd - axisStart) * box.width;
  const y = box.y + box.height / 2;
  const fmt = ms => new Date(ms).toISOString().slice(11, 19);
  // The wall clock of the frame on screen (computed, and shown in #clock: local time of the
  // browser, set to the camera's zone), once within `tolerance` ms of `ms`.
  async function playsAt(ms, tolerance, what) {
    const ok = await page.waitForFunction(([t, tol]) => {
      const w = window.cctvPlayer.wallClock();
      const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(document.getElementById('clock').textContent);
      if (w === null || !m) return false;
      const shown = new Date(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime();
      return Math.abs(w - t) <= tol && Math.abs(shown - t) <= tol + 1000;
    }, [ms, tolerance], { timeout: 30000 }).then(() => true).catch(() => false);
    const state = await page.evaluate(() => ({ wall: window.cctvPlayer.wallClock(), clock: document.getElementById('clock').textContent,
                                               seek: window.cctvPlayer.timeline.lastSeek }));
    check(ok, what + ': the player shows ' + (state.wall ? fmt(state.wall) : 'nothing') + ', expected ' + fmt(ms) +
              ' ± ' + tolerance / 1000 + ' s (' + JSON.stringify(state.seek) + ')');
    return state;
  }

  // (a) hover the middle of a segment after the first gap: its thumbnail and time.
  const gapAt = tl.items.findIndex((it, i) => i > 0 && it[0] > tl.items[i - 1][1] + 1500);
  const target = tl.items[gapAt > 0 ? gapAt + 1 < tl.items.length ? gapAt + 1 : gapAt : Math.min(2, tl.items.length - 1)];
  const aim = (target[0] + target[1]) / 2;
  await page.mouse.move(xOf(aim) - 30, y);
  await page.mouse.move(xOf(aim), y, { steps: 3 });
  const hover = await page.waitForFunction(() => {
    const prev = document.querySelector('#timeline .tl-preview'), img = prev && prev.querySelector('img');
    return prev && !prev.hidden && img && !img.hidden && img.complete && img.naturalWidth > 0 &&
           { src: img.getAttribute('src'), width: img.naturalWidth, height: img.naturalHeight,
             text: prev.querySelector('.tl-time').textContent };
  }, null, { timeout: 15000 }).then(h => h.jsonValue()).catch(() => null);
  result.hover = hover;
  check(hover, 'hovering a segment showed no thumbnail that loaded');
  check(hover.src === target[2], 'hover thumbnail ' + hover.src + ', expected ' + target[2]);
  check(hover.width === 160, 'thumbnail is ' + hover.width + ' px wide');
  const hoverSecs = hover.text.split(':').map(Number);
  const hoverMs = Date.UTC(1970, 0, 1, hoverSecs[0], hoverSecs[1], hoverSecs[2]);
  check(Math.abs(((aim % 86400000) - hoverMs)) < 5000, 'hover time ' + hover.text + ', expected about ' + fmt(aim));

  // (b) click there: the video plays from that wall-clock time (within a segment).
  await page.mouse.click(xOf(aim), y);
  const clicked = await page.evaluate(() => window.cctvPlayer.timeline.lastSeek);
  check(clicked && clicked.ok, 'the click did not seek');
  const segment = target[1] - target[0];
  result.click = { clicked: fmt(clicked.clicked), ...(await playsAt(clicked.clicked, segment + 1000, 'click')) };

  // (c) click in the gap: plays from the next recording.
  if (gapAt > 0) {
    const gapMid = (tl.items[gapAt - 1][1] + tl.items[gapAt][0]) / 2;
    await page.mouse.click(xOf(gapMid), y);
    result.gap_click = { clicked: fmt(gapMid), ...(await playsAt(tl.items[gapAt][0], tl.items[gapAt][1] - tl.items[gapAt][0] + 1000, 'click in the gap')) };
  }

  // (d) the keyboard: Home, two segments on, Enter.
  await page.mouse.move(box.x + box.width / 2, box.y - 200);
  await page.focus('#timeline .tl-bar');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const key = await page.evaluate(() => ({
    cursor: window.cctvPlayer.timeline.cursor,
    valuetext: document.querySelector('#timeline .tl-bar').getAttribute('aria-valuetext'),
    valuenow: document.querySelector('#timeline .tl-bar').getAttribute('aria-valuenow'),
    preview: !document.querySelector('#timeline .tl-preview').hidden,
  }));
  const third = tl.items[Math.min(2, tl.items.length - 1)];
  check(key.cursor === third[0], 'Home, →, → put the cursor at ' + fmt(key.cursor) + ', expected ' + fmt(third[0]));
  check(key.valuetext && key.valuetext.startsWith(fmt(third[0])), 'aria-valuetext "' + key.valuetext + '"');
  check(key.preview, 'no preview at the keyboard cursor');
  await page.keyboard.press('ArrowUp');  // a minute later, then back
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  result.keyboard = { valuetext: key.valuetext, ...(await playsAt(third[0], third[1] - third[0] + 1000, 'Enter')) };

  // (e) + zooms in around the cursor (a quarter of the span), - zooms out again.
  const spanNow = () => page.evaluate(() => {
    const t = window.cctvPlayer.timeline;
    return { span: t.axisEnd - t.axisStart, start: t.axisStart, end: t.axisEnd, cursor: t.cursor,
             ranges: document.querySelectorAll('#timeline .tl-range').length };
  });
  const before = await spanNow();
  await page.keyboard.press('+');
  const zoomed = await spanNow();
  await page.keyboard.press('-');
  const back = await spanNow();
  result.zoom = { before: before.span / 60000, zoomed: zoomed.span / 60000, back: back.span / 60000 };
  check(Math.abs(zoomed.span - before.span / 4) < 1000 || zoomed.span === 5 * 60000, 'zoom in: span ' + zoomed.span);
  check(zoomed.cursor >= zoomed.start && zoomed.cursor <= zoomed.end, 'zoom in lost the cursor');
  check(zoomed.ranges >= 1, 'zoomed in: no recorded range drawn');
  check(back.span >= before.span, 'zoom out: span ' + back.span);

  result.console_errors = consoleErrors;
  check(consoleErrors.length === 0, 'console error: ' + consoleErrors[0]);
});
