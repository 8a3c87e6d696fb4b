#!/usr/bin/env node
// The player shows why it cannot play: a day without recordings (the server's 404 reason
// in #error, cctvPlayer.fatal set) and a src on another origin (refused, nothing loaded).
// Usage: node tests/browser/player_error.js BASE_URL
'use strict';
const { parseArgs, run, check } = require('./browser.js');

const opt = parseArgs(process.argv.slice(2), {});
if (!opt.base) {
  console.error('usage: node tests/browser/player_error.js BASE_URL');
  process.exit(2);
}

async function open(page, path) {
  await page.goto(opt.base + path, { waitUntil: 'load' });
  await page.waitForFunction(() => window.cctvPlayer && window.cctvPlayer.fatal &&
                                   document.getElementById('error').textContent.trim() !== '',
                             null, { timeout: 30000 }).catch(() => {});
  return page.evaluate(() => ({
    fatal: window.cctvPlayer && window.cctvPlayer.fatal,
    error: document.getElementById('error').textContent.trim(),
  }));
}

run('player_error.js', async (browser, result) => {
  const page = await browser.newPage();
  const requests = [];
  page.on('request', r => requests.push(r.url()));

  result.missing_day = await open(page, '/player.html?date=1999-01-01');
  check(result.missing_day.error, '#error stayed empty for a day without recordings');
  check(result.missing_day.fatal, 'cctvPlayer.fatal not set for a day without recordings');

  requests.length = 0;
  result.foreign_src = await open(page, '/player.html?src=' + encodeURIComponent('//example.invalid/x.m3u8'));
  check(result.foreign_src.fatal === 'badSrc', 'a src on another origin was not refused');
  check(result.foreign_src.error, '#error stayed empty for a src on another origin');
  check(!requests.some(u => new URL(u).hostname === 'example.invalid'), 'the player requested the foreign src');
});
