#!/usr/bin/env node
// Plays one day in Chromium the way a person would: index page -> its Watch link -> player.
// Usage: node tests/browser/play.js BASE_URL [--date D] [--camera C] [--seconds 5] [--tz ZONE]
// --tz sets the browser's time zone (the clock shows browser-local time; pass the camera's zone).
'use strict';
const { parseArgs, run, check } = require('./browser.js');

const opt = parseArgs(process.argv.slice(2), { seconds: '5' });
const seconds = Number(opt.seconds);
if (!opt.base || !(seconds > 0)) {
  console.error('usage: node tests/browser/play.js BASE_URL [--date D] [--camera C] [--seconds 5] [--tz ZONE]');
  process.exit(2);
}

run('play.js', async (browser, result) => {
  const context = await browser.newContext(opt.tz ? { timezoneId: opt.tz } : {});
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', e => consoleErrors.push(e.message));

  // (a) the index page
  const response = await page.goto(opt.base + '/', { waitUntil: 'load' });
  result.index_status = response && response.status();
  check(result.index_status === 200, 'index page answered ' + result.index_status);
  result.player_links = await page.locator('a[href*="player.html"]').count();
  check(result.player_links > 0, 'index page has no link to player.html');

  // (b) its Watch link for the date (and camera) asked for, else the first one
  const watch = await page.$$eval('a', as => as.filter(a => a.textContent.trim() === 'Watch').map(a => {
    const row = a.closest('tr');
    const time = row && row.querySelector('time[datetime]');
    const section = a.closest('[data-camera]');
    return { href: a.href, date: time ? time.getAttribute('datetime') : '', camera: section ? section.dataset.camera : '' };
  }));
  const pick = watch.find(w => (!opt.date || w.date === opt.date) && (!opt.camera || w.camera === opt.camera));
  check(pick, 'no Watch link on the index page' + (opt.date ? ' for ' + opt.date : '') +
              (opt.camera ? ' camera ' + opt.camera : ''));
  Object.assign(result, { date: pick.date, camera: pick.camera, watch_url: pick.href });
  check(/^\d{4}-\d{2}-\d{2}$/.test(pick.date), 'Watch link is not in a row with <time datetime="YYYY-MM-DD">');
  result.index_console_errors = consoleErrors.splice(0);
  check(result.index_console_errors.length === 0, 'index page console error: ' + result.index_console_errors[0]);

  // (c) play until currentTime >= seconds, then read the wall clock
  const started = Date.now();
  await page.goto(pick.href, { waitUntil: 'load' });
  await page.waitForFunction(s => {
    const p = window.cctvPlayer, v = document.querySelector('video');
    return p && (p.fatal || (v && v.currentTime >= s));
  }, seconds, { timeout: (seconds + 40) * 1000 }).catch(() => {});
  Object.assign(result, await page.evaluate(() => ({
    currentTime: document.querySelector('video').currentTime,
    frags: window.cctvPlayer.frags,
    fatal: window.cctvPlayer.fatal,
    errors: window.cctvPlayer.errors,
    clock: document.getElementById('clock').textContent.trim(),
    error_text: document.getElementById('error').textContent.trim(),
  })));
  result.wait_s = (Date.now() - started) / 1000;
  result.player_console_errors = consoleErrors;
  check(!result.fatal, 'fatal player error ' + result.fatal + (result.error_text ? ': ' + result.error_text : ''));
  check(result.currentTime >= seconds, 'played only ' + result.currentTime + ' s of ' + seconds);
  check(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(result.clock), 'clock shows "' + result.clock + '"');
  check(result.clock.slice(0, 10) === pick.date, 'clock date ' + result.clock.slice(0, 10) + ' is not ' + pick.date);
});
