#!/usr/bin/python3
"""The web contract through nginx: cctv-playlist and cctv-index over FastCGI, on a
multi-camera archive and on a legacy single-camera root, checked by HTTP, by a small HLS
validator, by ffprobe/ffmpeg reading the playlists, and through nginx's playlist cache."""
import gzip
import re

import harness
from harness import day


def ffprobe_duration(url):
    res = harness.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                       "-of", "csv=p=0", url])
    if res.returncode != 0:
        raise AssertionError("ffprobe %s: %s" % (url, res.stderr))
    return float(res.stdout.split()[0])


def ffmpeg_frames(url):
    """Frames ffmpeg reads through the playlist (every segment, fetched from nginx)."""
    res = harness.run(["ffmpeg", "-v", "error", "-nostdin", "-i", url, "-map", "0:v", "-c", "copy",
                       "-f", "null", "-", "-progress", "pipe:1"], timeout=300)
    if res.returncode != 0:
        raise AssertionError("ffmpeg %s: %s" % (url, res.stderr))
    frames = re.findall(r"^frame=(\d+)$", res.stdout, re.M)
    return int(frames[-1]) if frames else 0


class ContractMixin:
    """Checks shared by both layouts. Subclasses define CAMERA (name or None), CAMDIR,
    CLOSED_DAYS, TODAY."""

    def q(self, **params):
        """/playlist.m3u8?camera=..&date=.. with this layout's camera."""
        parts = []
        if self.CAMERA:
            parts.append("camera=" + self.CAMERA)
        parts += ["%s=%s" % (k, v) for k, v in params.items()]
        return "/playlist.m3u8?" + "&".join(parts)

    def placed(self, date, live=False):
        segs = [p for p in self.archive.placed if p.camdir == self.CAMDIR and
                (p.date >= date if live else p.date == date)]
        return sorted(segs, key=lambda p: (p.date, p.name))

    def test_closed_days(self):
        for date in self.CLOSED_DAYS:
            pl, hdrs = self.playlist(self.q(date=date))
            self.assertValid(pl, closed=True, placed=self.placed(date))
            self.assertEqual(hdrs.get("cache-control"), "public, max-age=3600")
            self.assertRegex(hdrs.get("etag", ""), r'^"[^"]+"$')
            self.assertIn("last-modified", hdrs)
            for uri in pl.uris:
                code, h, body = self.get(uri, method="HEAD")
                self.assertEqual((code, h.get("content-type")), (200, "video/mp2t"), uri)

    def test_today_is_open(self):
        pl, hdrs = self.playlist(self.q(date=self.TODAY))
        self.assertValid(pl, closed=False, placed=self.placed(self.TODAY))
        self.assertEqual(hdrs.get("cache-control"), "no-cache")
        self.assertIn("etag", hdrs)
        self.assertIn("last-modified", hdrs)

    def test_ffprobe_and_ffmpeg_read_every_closed_day(self):
        for date in self.CLOSED_DAYS:
            url = self.site.base_url + self.q(date=date)
            placed = self.placed(date)
            want = sum(p.seg.duration for p in placed)
            self.assertAlmostEqual(ffprobe_duration(url), want, delta=0.1, msg=url)
            self.assertEqual(ffmpeg_frames(url), sum(p.seg.frames for p in placed), url)

    def test_live_playlist_runs_into_later_days(self):
        first = self.CLOSED_DAYS[0]
        pl, hdrs = self.playlist(self.q(date=first, live=1))
        self.assertValid(pl, closed=False, placed=self.placed(first, live=True))
        self.assertEqual(hdrs.get("cache-control"), "no-cache")
        self.assertEqual(hdrs.get("x-cache"), "BYPASS")  # nginx never keeps a live playlist
        self.assertIn("CAN-SKIP-UNTIL", pl.tag("#EXT-X-SERVER-CONTROL") or "")
        again, _ = self.playlist(self.q(date=first, live=1))
        self.assertEqual(again.text, pl.text)  # stable: same sequence numbers, same body

    def test_delta_update(self):
        first = self.CLOSED_DAYS[0]
        full, _ = self.playlist(self.q(date=first, live=1))
        code, hdrs, body = self.get(self.q(date=first, live=1, _HLS_skip="YES"))
        self.assertEqual(code, 200, body)
        delta = harness.Playlist(body.decode())
        self.assertGreater(delta.skipped, 0, delta.text)
        self.assertLess(len(delta.text), len(full.text))
        self.assertEqual(delta.media_sequence, full.media_sequence)
        self.assertEqual(delta.uris, full.uris[delta.skipped:])
        self.assertValid(delta, closed=False, placed=self.placed(first, live=True)[delta.skipped:])
        # v2 (skip date ranges too) is a delta update as well; a closed day has none.
        code, _, body = self.get(self.q(date=first, live=1, _HLS_skip="v2"))
        self.assertEqual(code, 200)
        self.assertIn(b"#EXT-X-SKIP:", body)
        pl, _ = self.playlist(self.q(date=first, _HLS_skip="YES"))
        self.assertEqual(pl.skipped, 0)

    def test_latest_redirects(self):
        base = "/playlist.m3u8?" + ("camera=%s&" % self.CAMERA if self.CAMERA else "")
        for query, location in ((self.q(), base + "date=" + self.TODAY),
                                (self.q(live=1), base + "date=%s&live=1" % self.TODAY)):
            code, hdrs, body = self.get(query)
            self.assertEqual(code, 302, (query, body))
            self.assertEqual(hdrs.get("location"), location, query)
            self.assertEqual(hdrs.get("cache-control", ""), "no-cache")

    def test_not_found(self):
        for query in (self.q(date=day(-4)), self.q(date="1999-01-01"),
                      self.q(date=day(1), live=1), self.q(date="9999-12-31")):
            code, text = self.assertOneLine(query, (404,))
        self.assertOneLine("/playlist.m3u8?camera=nosuchcamera&date=" + self.TODAY, (404,))

    def test_hostile_queries(self):
        d = self.TODAY
        cam = "camera=%s&" % self.CAMERA if self.CAMERA else ""
        for query in ("date=../..", "date=../../etc/passwd", "date=2026-13-01", "date=2026-02-30",
                      "date=2026-1-1", "date=20261118", "date=%%20%s" % d, "date=%s%%00" % d,
                      "date=%zz", "date=" + "9" * 3000, "date=%s&date=%s" % (d, d),
                      "date=%s&live=2" % d, "date=%s&live=1&live=1" % d,
                      "date=%s&live=1&_HLS_skip=NO" % d, "date=0000-00-00", "date=-001-01-01"):
            self.assertOneLine("/playlist.m3u8?" + cam + query, (400, 404))
        for query in ("camera=../../etc&date=" + d, "camera=%00&date=" + d, "camera=%ff&date=" + d,
                      "camera=front%0d%0aX-Evil:%201&date=" + d, "camera=%3Cscript%3E&date=" + d,
                      "camera=" + "a" * 100 + "&date=" + d, "camera=assets&date=" + d,
                      "camera=..&date=" + d, "camera=.&date=" + d,
                      "camera=front&camera=back&date=" + d, "camera=front/..&date=" + d):
            code, text = self.assertOneLine("/playlist.m3u8?" + query, (400, 404))
            self.assertNotIn("<", text)
        code, hdrs, body = self.get("/playlist.m3u8?camera=front%0d%0aX-Evil:%201&date=" + d)
        self.assertNotIn("x-evil", hdrs)
        # nginx refuses what does not fit its header buffers; never a 5xx.
        code, hdrs, body = self.get(self.q(date=d) + "&x=" + "a" * 20000)
        self.assertIn(code, (400, 414))

    def test_unknown_parameters_are_ignored(self):
        # Players and proxies add cache busters (?_=123, ?t=...): decided, not refused.
        date = self.CLOSED_DAYS[0]
        plain, _ = self.playlist(self.q(date=date))
        other, _ = self.playlist(self.q(date=date, _="1700000000", foo="bar"))
        self.assertEqual(other.text, plain.text)

    def test_head(self):
        q = self.q(date=self.CLOSED_DAYS[-1])
        code, hdrs, body = self.get(q, method="HEAD")
        self.assertEqual((code, body), (200, b""))
        self.assertEqual(hdrs["content-type"], "application/vnd.apple.mpegurl")
        pl, _ = self.playlist(q)  # a HEAD never leaves an empty body in the cache
        self.assertTrue(pl.segments)

    def test_nginx_cache_and_304(self):
        q = self.q(date=self.CLOSED_DAYS[0], foo="cachetest")
        code, first, body = self.get(q)
        self.assertEqual((code, first.get("x-cache")), (200, "MISS"))
        code, second, body2 = self.get(q)
        self.assertEqual((code, second.get("x-cache")), (200, "HIT"))
        self.assertEqual(body2, body)
        for h in ("etag", "last-modified", "cache-control", "content-type"):
            self.assertEqual(second.get(h), first.get(h), h)
        etag = first["etag"]
        code, hdrs, body = self.get(q, {"If-None-Match": etag})
        self.assertEqual((code, body, hdrs.get("x-cache")), (304, b"", "HIT"))
        self.assertEqual(hdrs.get("etag"), etag)
        code, hdrs, body = self.get(q, {"If-None-Match": '"other", ' + etag})
        self.assertEqual(code, 304)
        code, hdrs, body = self.get(q, {"If-Modified-Since": first["last-modified"]})
        self.assertEqual(code, 304)
        code, hdrs, body = self.get(q, {"If-None-Match": '"not-it"'})
        self.assertEqual(code, 200)
        # gzip: the ETag becomes weak, and the weak tag still validates.
        code, hdrs, zbody = self.get(q, {"Accept-Encoding": "gzip"})
        self.assertEqual(hdrs.get("content-encoding"), "gzip")
        self.assertEqual(gzip.decompress(zbody), body2)
        self.assertIn("Accept-Encoding", hdrs.get("vary", ""))
        code, hdrs, _ = self.get(q, {"Accept-Encoding": "gzip", "If-None-Match": hdrs["etag"]})
        self.assertEqual(code, 304)

    def test_open_day_304_from_the_program(self):
        q = self.q(date=self.TODAY)
        code, first, body = self.get(q)
        self.assertEqual(code, 200)
        self.assertNotEqual(first.get("x-cache"), "HIT")
        code, hdrs, body = self.get(q, {"If-None-Match": first["etag"]})
        self.assertEqual((code, body), (304, b""))
        self.assertNotEqual(hdrs.get("x-cache"), "HIT")
        code, hdrs, body = self.get(q, {"If-Modified-Since": first["last-modified"]})
        self.assertEqual(code, 304)

    def test_open_day_weak_etag_after_gzip(self):
        # nginx weakens the ETag of a gzipped answer; a browser sends that W/ tag back.
        first = self.CLOSED_DAYS[0]
        q = self.q(date=first, live=1)  # open and large enough to be gzipped
        code, hdrs, body = self.get(q, {"Accept-Encoding": "gzip"})
        self.assertEqual(hdrs.get("content-encoding"), "gzip")
        self.assertTrue(hdrs["etag"].startswith('W/"'), hdrs["etag"])
        code, hdrs, body = self.get(q, {"Accept-Encoding": "gzip", "If-None-Match": hdrs["etag"]})
        self.assertEqual(code, 304, "a weak If-None-Match must match (RFC 9110 13.1.2)")

    def test_index_page(self):
        hdrs, body = self.assertStatus("/", 200)
        self.assertTrue(hdrs["content-type"].startswith("text/html"))
        html = body.decode()
        for date in self.CLOSED_DAYS + [self.TODAY]:
            self.assertIn(date, html)
            self.assertRegex(html, r'href="/player\.html\?[^"]*date=%s' % date)
        code, h, b = self.get("/", method="HEAD")
        self.assertEqual((code, b), (200, b""))
        hdrs2, body2 = self.assertStatus("/index.html", 200)
        self.assertTrue(hdrs2["content-type"].startswith("text/html"))

    def test_player_page_and_assets(self):
        self.assertStatus("/player.html?date=%s" % self.TODAY, 200)
        self.assertStatus("/assets/hls.min.js", 200)


class Multi(ContractMixin, harness.MultiSiteTestCase):
    CAMERA = "front"
    CAMDIR = "front"
    CLOSED_DAYS = [day(-3), day(-2), day(-1)]
    TODAY = day(0)

    def test_second_camera_in_its_own_directory(self):
        pl, hdrs = self.playlist("/playlist.m3u8?camera=back&date=" + day(-1))
        placed = self.archive.day_segments("cam2", day(-1))
        self.assertValid(pl, closed=True, placed=placed)
        self.assertTrue(all(u.startswith("/cam2/") for u in pl.uris))
        code, hdrs, _ = self.get("/playlist.m3u8?camera=back&live=1")
        self.assertEqual(hdrs.get("location"), "/playlist.m3u8?camera=back&date=%s&live=1" % day(-1))
        self.assertOneLine("/playlist.m3u8?camera=cam2&date=" + day(-1), (404,))

    def test_camera_is_required_with_two_cameras(self):
        self.assertOneLine("/playlist.m3u8?date=" + day(-1), (400, 404))
        self.assertOneLine("/playlist.m3u8", (400, 404))

    def test_compatibility_rewrites(self):
        d = day(-2)
        want, _ = self.playlist("/playlist.m3u8?camera=front&date=" + d)
        for path in ("/playlist.php?camera=front&date=" + d, "/front/%s/playlist.m3u8" % d,
                     "/front/%s/playlist.php" % d, "/%s/playlist.m3u8?camera=front" % d):
            got, _ = self.playlist(path)
            self.assertEqual(got.text, want.text, path)
        live = "/playlist.m3u8?camera=front&date=%s&live=1" % day(0)
        for path, location in (("/front/live/playlist.m3u8", live),
                               ("/live/playlist.m3u8?camera=front", live),
                               ("/playlist.php?camera=front&live=1", live),
                               ("/front/playlist.m3u8", "/playlist.m3u8?camera=front&date=" + day(0))):
            code, hdrs, body = self.get(path)
            self.assertEqual((code, hdrs.get("location")), (302, location), path)
        got, _ = self.playlist("/back/%s/playlist.m3u8" % day(-1))  # by camera name
        self.assertTrue(got.uris[0].startswith("/cam2/"))
        self.assertOneLine("/nosuch/%s/playlist.m3u8" % d, (404,))


class Legacy(ContractMixin, harness.LegacySiteTestCase):
    CAMERA = None  # the only camera: no camera= needed
    CAMDIR = ""
    CLOSED_DAYS = [day(-3), day(-2), day(-1)]
    TODAY = day(0)

    def test_discovered_camera_name(self):
        pl, _ = self.playlist("/playlist.m3u8?camera=camera&date=" + day(-2))
        self.assertTrue(all(re.fullmatch(r"/\d{4}-\d\d-\d\d/video_\d{6}\.ts", u) for u in pl.uris))
        self.assertEqual(len([s for s in pl.segments if s["discontinuity"]]), 1)

    def test_compatibility_rewrites(self):
        d = day(-2)
        want, _ = self.playlist("/playlist.m3u8?date=" + d)
        for path in ("/playlist.php?date=" + d, "/%s/playlist.m3u8" % d, "/%s/playlist.php" % d,
                     "/camera/%s/playlist.m3u8" % d):
            got, _ = self.playlist(path)
            self.assertEqual(got.text, want.text, path)
        for path, location in (("/live/playlist.m3u8", "/playlist.m3u8?date=%s&live=1" % day(0)),
                               ("/playlist.php?live=1", "/playlist.m3u8?date=%s&live=1" % day(0)),
                               ("/playlist.php", "/playlist.m3u8?date=" + day(0))):
            code, hdrs, body = self.get(path)
            self.assertEqual((code, hdrs.get("location")), (302, location), path)


class BaseUrl(harness.LegacySiteTestCase):
    """web.baseUrl "/cctv/": the whole site, archive included, lives under that prefix."""
    EXTRA_CONFIG = {"web": {"baseUrl": "/cctv/", "title": "Prefixed"}}

    def test_everything_under_the_prefix(self):
        d = day(-2)
        pl, hdrs = self.playlist("/cctv/playlist.m3u8?date=" + d)
        placed = self.archive.day_segments("", d)
        self.assertEqual(pl.uris, ["/cctv" + p.uri for p in placed])
        for uri in pl.uris[:3]:
            self.assertStatus(uri, 200)
        self.assertEqual(self.get("/cctv/%s/playlist.m3u8" % d)[0], 200)
        code, hdrs, body = self.get("/cctv/live/playlist.m3u8")
        self.assertEqual(hdrs.get("location"), "/cctv/playlist.m3u8?date=%s&live=1" % day(0))
        self.assertStatus("/cctv/", 200)
        self.assertStatus("/cctv/assets/player.js", 200)
        for path in ("/", "/playlist.m3u8?date=" + d, placed[0].uri, "/cctv"):
            self.assertIn(self.get(path)[0], (301, 404), path)


if __name__ == "__main__":
    harness.main()
