#!/usr/bin/python3
"""The index page and the player in headless Chromium (tests/browser/*.js, playwright-core):
a person opens the index, follows a Watch link, and the day plays with its wall clock."""
import json
import os
import shutil
import time
import unittest

import harness
from harness import day

NODE_MODULES = os.path.join(harness.REPO, "node_modules")


def browser_ready():
    if not os.path.isdir(os.path.join(NODE_MODULES, "playwright-core")):
        return "node_modules/playwright-core is missing (run scripts/install-deps or npm ci)"
    if not shutil.which("node"):
        return "node is not installed"
    if not os.path.exists(os.environ.get("CHROMIUM", "/usr/bin/chromium")):
        return "chromium is not installed"
    return None


class BrowserMixin:
    def node(self, script, *args):
        res = harness.run(["node", os.path.join(harness.REPO, "tests", "browser", script),
                           self.site.base_url, *args], timeout=180, cwd=harness.REPO)
        lines = [l for l in res.stdout.splitlines() if l.startswith("{")]
        result = json.loads(lines[-1]) if lines else {}
        self.assertEqual(res.returncode, 0, "%s %s failed: %s\n%s%s"
                         % (script, " ".join(args), res.stderr.strip(), res.stdout.strip(),
                            self.site.logs()))
        # The site's Content-Security-Policy must not get in hls.js's way.
        self.assertEqual(result.get("player_console_errors", []), [], result)
        return result

    def test_player_error(self):
        self.node("player_error.js")


@unittest.skipIf(browser_ready(), browser_ready())
class BrowserMulti(BrowserMixin, harness.MultiSiteTestCase):
    def test_play_a_closed_day(self):
        r = self.node("play.js", "--date", day(-3), "--camera", "front", "--seconds", "5",
                      "--tz", "UTC")
        self.assertGreaterEqual(r.get("currentTime", 0), 5)
        self.assertTrue(r["clock"].startswith(day(-3) + " 10:00:0"), r["clock"])

    def test_play_today(self):
        r = self.node("play.js", "--date", day(0), "--camera", "front", "--seconds", "3",
                      "--tz", "UTC")
        self.assertTrue(r["clock"].startswith(day(0)), r["clock"])


@unittest.skipIf(browser_ready(), browser_ready())
class BrowserLegacy(BrowserMixin, harness.LegacySiteTestCase):
    def test_play_across_a_gap(self):
        # 18 s, a gap of about 10 minutes, then more: playing 20 s crosses the gap.
        r = self.node("play.js", "--date", day(-2), "--seconds", "20", "--tz", "UTC")
        self.assertGreaterEqual(r.get("currentTime", 0), 20)


@unittest.skipIf(browser_ready(), browser_ready())
class BrowserTimeline(BrowserMixin, harness.MultiSiteTestCase):
    """The player's timeline (issue 6, part 3): the worker daemon makes the thumbnails, the
    page reads the day from the JSON API."""
    WORKER_DAEMON = True
    NEEDS = ("cctv-index", "cctv-playlist", "cctv-worker", "cctv-api")
    EXTRA_CONFIG = {"conversion": {"enabled": False}}

    def test_player_error(self):
        pass  # covered by the other classes

    def test_timeline_hover_click_and_keyboard(self):
        placed = self.archive.day_segments("front", day(-3))
        thumbs = [os.path.join(self.root, "front", day(-3), "thumbs", p.name[:-3] + ".jpg")
                  for p in placed]
        deadline = time.monotonic() + 90
        while not all(os.path.exists(t) for t in thumbs) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertTrue(all(os.path.exists(t) for t in thumbs), self.site.logs())
        # 10:00:00 for 40 s, a gap of about 4 minutes, 10:05:00 for 9 s.
        r = self.node("timeline.js", "--camera", "front", "--date", day(-3), "--tz", "UTC",
                      "--ranges", "2")
        self.assertEqual(r["items"], 16)
        self.assertTrue(r["hover"]["src"].startswith("/front/%s/thumbs/video_" % day(-3)), r)
        self.assertTrue(r["gap_click"]["clicked"].startswith("10:02"), r)


if __name__ == "__main__":
    harness.main()
