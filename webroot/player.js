// CCTV archive player: plays /playlist.m3u8 with hls.js (or the browser's own HLS)
// and shows the wall-clock time of the current frame from #EXT-X-PROGRAM-DATE-TIME.
// Query: camera, date (YYYY-MM-DD), live=1, or src (a same-origin path). See docs/frontend.md.
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const camera = params.get('camera') || '';
  const date = params.get('date') || '';
  const live = params.get('live') === '1';
  const video = document.getElementById('video');
  const clock = document.getElementById('clock');
  const errorBox = document.getElementById('error');
  // Read by the browser tests (tests/browser/).
  const state = window.cctvPlayer = { hls: null, errors: [], fatal: null, frags: 0, hevcError: false,
                                      timeline: null, wallClock: () => { const d = wallClock(); return d ? d.getTime() : null; } };
  let currentFrag = null;
  let navDate = '';

  const pad = (n, width = 2) => String(n).padStart(width, '0');

  function formatLocal(d) {
    return pad(d.getFullYear(), 4) + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
           pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function addDays(ymd, n) {
    const [y, m, d] = ymd.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
  }

  const isDate = s => /^\d{4}-\d{2}-\d{2}$/.test(s) && addDays(s, 0) === s;

  // "?a=1&b=2" from [name, value] pairs, leaving out empty values.
  function query(pairs) {
    const q = pairs.filter(p => p[1]).map(p => p[0] + '=' + encodeURIComponent(p[1]));
    return q.length ? '?' + q.join('&') : '';
  }

  // Relative URLs: the page lives at web.baseUrl + 'player.html', beside the playlist.
  const playerUrl = pairs => 'player.html' + query(pairs);

  // src must be a path on this server: "/..." but not "//host" (nor "/\host",
  // which browsers read the same way).
  function safeSrc(src) {
    if (!src.startsWith('/') || src.startsWith('//') || /[\\\s\x00-\x1f]/.test(src)) return null;
    return new URL(src, location.href).origin === location.origin ? src : null;
  }

  function playlistUrl() {
    if (params.has('src')) return safeSrc(params.get('src'));
    // Without a date, play live: the server redirects ?live=1 to the newest day.
    return 'playlist.m3u8' + query([['camera', camera], ['date', date], ['live', live || !date ? '1' : '']]);
  }

  function showLink(id, href) {
    const a = document.getElementById(id);
    a.href = href;
    a.parentElement.hidden = false;
  }

  function updateNav(day) {
    if (!isDate(day) || day === navDate) return;
    navDate = day;
    showLink('prev', playerUrl([['camera', camera], ['date', addDays(day, -1)]]));
    showLink('next', playerUrl([['camera', camera], ['date', addDays(day, 1)]]));
  }

  function showError(message) {
    errorBox.textContent = message;
  }

  // The fragments of the level playing (hls.js), in media-time order.
  function levelFragments() {
    const hls = state.hls;
    const level = hls && hls.levels && hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : 0];
    return (level && level.details && level.details.fragments) || [];
  }

  // The fragment with a program date that holds media time `t`, or null.
  function fragAt(t) {
    const frags = levelFragments();
    let lo = 0, hi = frags.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, f = frags[mid];
      if (t < f.start) hi = mid - 1;
      else if (t >= f.start + f.duration) lo = mid + 1;
      else return typeof f.programDateTime === 'number' ? f : null;
    }
    return null;
  }

  // The wall-clock time of the frame on screen, or null before the first fragment.
  function wallClock() {
    const hls = state.hls;
    if (hls) {
      // The fragment under currentTime (right after a seek too, when hls.js's own
      // playingDate still counts from the fragment played before).
      const here = fragAt(video.currentTime);
      if (here) return new Date(here.programDateTime + (video.currentTime - here.start) * 1000);
      if (hls.playingDate) return hls.playingDate;
      const f = currentFrag;
      if (f && f.programDateTime !== null) return new Date(f.programDateTime + (video.currentTime - f.start) * 1000);
      return null;
    }
    const start = video.getStartDate ? video.getStartDate().getTime() : NaN;  // native HLS (Safari)
    return Number.isNaN(start) ? null : new Date(start + video.currentTime * 1000);
  }

  // Plays from a wall-clock time (ms since the epoch): the fragment whose
  // #EXT-X-PROGRAM-DATE-TIME range holds it, at the offset inside it; a time in a gap
  // plays from the next fragment. False when nothing is loaded yet.
  function seekToWallClock(ms) {
    let target = null;
    const hls = state.hls;
    if (hls) {
      const frags = levelFragments();
      for (const f of frags) {
        if (f.programDateTime === null || f.programDateTime === undefined) continue;
        if (ms < f.programDateTime + f.duration * 1000) {
          target = f.start + Math.max(0, ms - f.programDateTime) / 1000;
          break;
        }
      }
      if (target === null && frags.length) {
        const last = frags[frags.length - 1];
        target = last.start + Math.max(0, last.duration - 0.5);
      }
    } else if (video.getStartDate) {
      const start = video.getStartDate().getTime();
      if (!Number.isNaN(start)) target = Math.max(0, (ms - start) / 1000);
    }
    if (target === null) return false;
    video.currentTime = target;
    video.play().catch(() => {});
    return true;
  }

  const timelineRoot = document.getElementById('timeline');
  const timeline = window.CctvTimeline && timelineRoot
    ? window.CctvTimeline.create({ root: timelineRoot, seek: seekToWallClock, playing: () => state.wallClock() })
    : null;
  if (timeline) state.timeline = timeline.state;
  let timelineCamera = '';

  // The timeline of the day the player shows: the date from the playlist's URL (a live
  // playlist without a date is redirected to one), the camera from the query or, with a
  // single camera, from the API.
  async function startTimeline(levelUrl) {
    if (!timeline || params.has('src')) return;
    let day = date;
    try {
      day = new URL(levelUrl, location.href).searchParams.get('date') || day;
    } catch (e) { /* keep the query's date */ }
    if (!isDate(day)) return;
    timelineCamera = camera;
    if (!timelineCamera) {
      try {
        const r = await fetch('api/1/cameras.json', { cache: 'no-store' });
        const cams = r.ok ? (await r.json()).cameras || [] : [];
        if (cams.length !== 1) return;
        timelineCamera = cams[0].name;
      } catch (e) {
        return;
      }
    }
    timeline.load(timelineCamera, day);
  }

  function tick() {
    const d = wallClock();
    if (timeline) {
      const ms = d ? d.getTime() : null;
      timeline.setPlaying(ms);
      // Live playback went on into the next day: show that day.
      if (ms !== null && timelineCamera && timeline.otherDay(ms)) timeline.load(timelineCamera, timeline.dateOf(ms));
    }
    if (!d || Number.isNaN(d.getTime())) return;
    const text = formatLocal(d);
    if (clock.textContent !== text) clock.textContent = text;
    if (!date || live) updateNav(text.slice(0, 10));
  }

  // The server explains a refused playlist in a one-line plain-text body.
  async function explain(url, fallback) {
    try {
      const r = await fetch(url, { cache: 'no-store' });
      if (r.ok) return fallback;
      const body = (await r.text()).trim();
      const reason = body && !body.startsWith('<') ? body.split('\n')[0].slice(0, 200) : r.statusText;
      return 'Cannot load the playlist: ' + r.status + (reason ? ' ' + reason : '');
    } catch (e) {
      return 'Cannot load the playlist: ' + e.message;
    }
  }

  // Converted days are fragmented MP4 in H.265 (HEVC), which many browsers cannot
  // decode (Chromium and Firefox on most Linux and many Windows machines).
  const k_hevc = 'video/mp4; codecs="hvc1.1.6.L93.B0"';
  const hevcSupported = () => !!(window.MediaSource && MediaSource.isTypeSupported(k_hevc));

  // The video.mp4 files a playlist addresses (its #EXT-X-MAP URIs), absolute.
  async function mp4Files(url) {
    try {
      const r = await fetch(url, { cache: 'no-store' });
      if (!r.ok) return [];
      const text = await r.text();
      const uris = [...text.matchAll(/^#EXT-X-MAP:URI="([^"]+)"/gm)].map(m => new URL(m[1], r.url).href);
      return [...new Set(uris)];
    } catch (e) {
      return [];
    }
  }

  // Never a silent black box: say why, and offer the file and the playlist.
  async function showHevcError(url, files) {
    if (!files) files = await mp4Files(url);
    state.hevcError = true;
    errorBox.textContent = '';
    errorBox.classList.add('hevc');
    const p = document.createElement('p');
    p.textContent = 'This day is H.265 (HEVC) video; this browser cannot decode it. ' +
                    'Download the day or open its playlist in VLC or Safari.';
    errorBox.append(p);
    const list = document.createElement('ul');
    list.className = 'links';
    const addLink = (href, text, cls, download) => {
      const li = document.createElement('li'), a = document.createElement('a');
      a.href = href;
      a.textContent = text;
      a.className = cls;
      if (download) a.setAttribute('download', '');
      li.append(a);
      list.append(li);
    };
    for (const f of files) {
      const day = (f.match(/(\d{4}-\d{2}-\d{2})\/[^/]*$/) || [])[1];
      addLink(f, 'Download video.mp4' + (files.length > 1 && day ? ' (' + day + ')' : ''), 'download', true);
    }
    addLink(new URL(url, location.href).href, 'Playlist (.m3u8) for VLC or Safari', 'playlist', false);
    errorBox.append(list);
  }

  async function fail(url, details) {
    if (/^(manifest|level)Load/.test(details)) {
      showError(await explain(url, 'Cannot load the playlist (' + details + ').'));
    } else if (/Codec/.test(details)) {
      const files = await mp4Files(url);
      if (files.length) {
        await showHevcError(url, files);
      } else {
        showError('This browser cannot decode this recording. ' +
                  'Open the playlist in a player such as VLC, or download the day.');
      }
    } else {
      showError('Playback stopped: ' + details);
    }
  }

  function startHls(url) {
    // A chosen date plays from its start, even when the playlist is live.
    const hls = state.hls = new Hls({ startPosition: date ? 0 : -1 });
    hls.on(Hls.Events.FRAG_LOADED, () => { state.frags++; });
    hls.on(Hls.Events.FRAG_CHANGED, (event, data) => { currentFrag = data.frag; });
    hls.on(Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); });
    // A converted day (init section, #EXT-X-MAP) first: without HEVC it cannot
    // play, so say so before hls.js fails on the codec.
    let checked = false;
    hls.on(Hls.Events.LEVEL_LOADED, (event, data) => {
      if (checked) return;
      checked = true;
      startTimeline(data.details.url);
      const frags = data.details.fragments;
      if (!frags.length || !frags[0].initSegment || hevcSupported()) return;
      state.fatal = 'hevcUnsupported';
      state.hevcError = true;
      state.errors.push('hevcUnsupported');
      hls.stopLoad();
      showHevcError(url);
    });
    hls.on(Hls.Events.ERROR, (event, data) => {
      state.errors.push(data.details);
      if (!data.fatal || state.hevcError) return;
      state.fatal = data.details;
      hls.stopLoad();
      fail(url, data.details);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  }

  function startNative(url) {
    video.addEventListener('error', () => {
      state.errors.push('nativeError');
      state.fatal = 'nativeError';
      explain(url, 'The browser could not play this playlist.').then(showError);
    });
    video.addEventListener('loadedmetadata', () => startTimeline(url), { once: true });
    video.src = url;
    video.play().catch(() => {});
  }

  const label = params.has('src') ? params.get('src')
    : [camera, date || 'latest', live || !date ? 'live' : ''].filter(Boolean).join(' · ');
  document.getElementById('title').textContent = label;
  document.title = label + ' · CCTV archive';
  showLink('live', playerUrl([['camera', camera], ['live', '1']]));
  if (isDate(date)) updateNav(date);
  // timeupdate alone comes only every 250 ms or so: the seconds would tick late.
  video.addEventListener('timeupdate', tick);
  setInterval(tick, 100);

  const url = playlistUrl();
  if (!url) {
    state.fatal = 'badSrc';
    showError('Refusing to play this src: only playlist paths on this server (starting with a single "/") are allowed.');
    return;
  }
  showLink('playlist', url);
  if (window.Hls && Hls.isSupported()) {
    startHls(url);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    startNative(url);
  } else {
    state.fatal = 'unsupported';
    showError(window.Hls ? 'This browser cannot play HLS video. Open the playlist in a player such as VLC.'
                         : 'The player library assets/hls.min.js did not load.');
  }
})();
