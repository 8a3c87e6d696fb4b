#!/usr/bin/python3
"""The converter of cctv-worker (issue 4) against real files, a real catalog, real nginx
and a real RTSP camera: a day of MPEG-TS segments becomes video.mp4 (H.265 `hvc1`,
fragmented, one fragment per segment) + video.mp4.sha512sum, and stays playable.

Synthetic days: 320x180, 10 fps, 10 s segments (lavfi testsrc2 + libx264, a keyframe at
each segment start, made once per run). What is checked:
- `--convert-now DATE --camera NAME`: exit 0; video.mp4 is hevc/hvc1; `sha512sum -c`
  passes; its duration and frames are the segments'; the segments are gone, the other
  camera's day is untouched; the catalog's converted_day/fragment rows match the file's
  moof+mdat boxes and the segments' starts; the playlist through nginx is version 7 with
  EXT-X-MAP/EXT-X-BYTERANGE ranges that nginx serves (206), and ffprobe/ffmpeg read the
  whole day through it;
- SIGTERM of `--convert-now` mid-encoding: exit 1 at once, .part removed, the day's state
  back, no failure counted; `kill -9`: the segments are intact (names, sizes, sha256), no
  video.mp4; the next run cleans the .part and converts;
- the daemon's scheduler: kill -9 mid-conversion (day left `converting`), SIGTERM
  mid-conversion (prompt exit, .part removed, day `settled`: docs/worker.md), and the
  restart that converts; `--convert-now` of the day the daemon is converting leaves a
  consistent catalog;
- a segment corrupted before it was indexed, and one corrupted after (bit rot): the rest
  converts, a warning names the segment;
- a past day still receiving segments is not converted while an older-settled one is;
- a camera keeps recording, without a gap, while a day of the same camera converts.
"""
import datetime as dt
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unittest

import harness
from harness import WORKER, FakeCam, Playlist, day

SEG_S = 10  # seconds per synthetic segment
FPS = 10
FIXTURE_COUNT = 30  # 300 s made once; each test takes a slice
REC_SEG = 2  # segmentSeconds of the recorded camera


def segments(n):
    return harness.synthetic_segments(FIXTURE_COUNT, SEG_S, "320x180", FPS)[:n]


def ffprobe_json(target, *entries):
    res = harness.run(["ffprobe", "-v", "error", "-of", "json"] +
                      [a for e in entries for a in ("-show_entries", e)] + [target], timeout=120)
    if res.returncode != 0:
        raise AssertionError("ffprobe %s: %s" % (target, res.stderr))
    return json.loads(res.stdout)


def count_frames(target, decode=False):
    """Video frames ffmpeg reads from `target` (a file or a playlist URL)."""
    argv = ["ffmpeg", "-v", "error", "-nostdin", "-i", target, "-map", "0:v"]
    argv += [] if decode else ["-c", "copy"]
    res = harness.run(argv + ["-f", "null", "-", "-progress", "pipe:1"], timeout=300)
    if res.returncode != 0:
        raise AssertionError("ffmpeg %s: %s" % (target, res.stderr))
    frames = re.findall(r"^frame=(\d+)$", res.stdout, re.M)
    return int(frames[-1]) if frames else 0, res.stderr


def _iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="milliseconds")


class ConvertCase(harness.WorkerTestCase):
    """harness.WorkerTestCase with the converter's config, `--convert-now` runs to
    interrupt, and helpers to read what a conversion left."""
    WORK_PREFIX = "cctv-conv-"

    def setUp(self):
        super().setUp()
        self.procs = []
        self.addCleanup(self._kill_procs)  # first, then the stack and the temp dir

    def _kill_procs(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)

    def configure(self, cameras, **conversion):
        conv = {"enabled": True, "afterHours": 1, "settleMinutes": 0, "preset": "ultrafast"}
        conv.update(conversion)
        harness.cctvsite.write_config(self.config, self.root, self.catalog, "Convert test",
                                      {"cameras": cameras, "conversion": conv})

    @staticmethod
    def cam(name, **keys):
        return dict({"cameraName": name, "timeZone": "UTC"}, **keys)

    def front_day(self, count, **conversion):
        """`count` segments of camera `front` (the only one) on D-3 from 10:00, configured
        (`conversion`: keys of the config's conversion) and indexed: (date, its day
        directory, its catalog segments, ts_files of the directory)."""
        date = day(-3)
        harness.lay_out(self.root, "front", date, "100000", segments(count))
        self.configure([self.cam("front")], **conversion)
        self.reindex()
        d = self.day_dir("front", date)
        return date, d, self.catalog_segments("front", date), self.ts_files(d)

    # -- running the worker ---------------------------------------------------------------
    def convert_now(self, date, camera, timeout=300):
        return self.worker("--convert-now", date, "--camera", camera, timeout=timeout)

    def start_convert_now(self, date, camera, log_name):
        log = open(os.path.join(self.work, log_name), "wb")
        proc = subprocess.Popen([WORKER, "--config", self.config, "--convert-now", date,
                                 "--camera", camera], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True,
                                preexec_fn=lambda: harness._die_with_parent(signal.SIGKILL))
        log.close()
        self.procs.append(proc)
        return proc

    def read_log(self, name):
        with open(os.path.join(self.work, name), errors="replace") as f:
            return f.read()

    def wait_encoding(self, day_dir, proc, what, timeout=60):
        """Waits until `day_dir`/video.mp4.part exists and has grown (an encoding in
        progress); fails if `proc` exits first."""
        part = os.path.join(day_dir, "video.mp4.part")
        deadline = time.monotonic() + timeout
        first = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail("%s exited (%s) before its encoding could be interrupted: "
                          "make the day longer or the preset slower" % (what, proc.returncode))
            try:
                size = os.path.getsize(part)
            except OSError:
                size = None
            if size:
                if first is None:
                    first = size
                elif size > first:
                    return size
            time.sleep(0.02)
        self.fail("%s: no growing %s after %d s" % (what, part, timeout))

    # -- what is on disk and in the catalog -----------------------------------------------
    @staticmethod
    def ts_files(day_dir):
        """{name: (size, sha256)} of the segment files of a day directory."""
        out = {}
        for p in sorted(glob.glob(os.path.join(day_dir, "video_*.ts"))):
            out[os.path.basename(p)] = (os.path.getsize(p), harness.sha256_file(p))
        return out

    @staticmethod
    def listing(day_dir):
        """The files of a day directory (its subdirectories, e.g. thumbs/, and the
        timelapse the daemon makes of a closed day are other modules' business)."""
        if not os.path.isdir(day_dir):
            return []
        return sorted(n for n in os.listdir(day_dir)
                      if not os.path.isdir(os.path.join(day_dir, n))
                      and not n.startswith("timelapse.mp4"))

    def camera_id(self, con, name):
        row = con.execute("SELECT id FROM camera WHERE name = ?", (name,)).fetchone()
        self.assertIsNotNone(row, "camera %s not in the catalog" % name)
        return row["id"]

    def catalog_segments(self, camera, date):
        """[(name, start s, duration s, bytes)] of a day's segment rows, by start."""
        con = self.db()
        try:
            cid = self.camera_id(con, camera)
            rows = con.execute("SELECT name, start_time_us, duration_us, size_bytes FROM segment "
                               "WHERE camera_id = ? AND date = ? ORDER BY start_time_us",
                               (cid, date)).fetchall()
        finally:
            con.close()
        return [(r["name"], r["start_time_us"] / 1e6, r["duration_us"] / 1e6, r["size_bytes"])
                for r in rows]

    def catalog_day(self, camera, date):
        """(day row, converted_day row or None, [fragment rows by seq])."""
        con = self.db()
        try:
            cid = self.camera_id(con, camera)
            d = con.execute("SELECT * FROM day WHERE camera_id = ? AND date = ?",
                            (cid, date)).fetchone()
            c = con.execute("SELECT * FROM converted_day WHERE camera_id = ? AND date = ?",
                            (cid, date)).fetchone()
            f = con.execute("SELECT * FROM fragment WHERE camera_id = ? AND date = ? ORDER BY seq",
                            (cid, date)).fetchall()
        finally:
            con.close()
        return (dict(d) if d else None, dict(c) if c else None, [dict(r) for r in f])

    # -- the checks of a converted day ----------------------------------------------------
    def assertConverted(self, camera, camdir, date, source, context=""):
        """The day `date` of `camera` is converted from the segments `source`
        ([(name, start s, duration s, bytes)] of the catalog before, in order): the file,
        its checksum, duration, frames, the catalog rows; no segment and no .part left."""
        d = self.day_dir(camdir, date)
        video = os.path.join(d, "video.mp4")
        self.assertTrue(os.path.isfile(video), "%s: no video.mp4 in %s%s"
                        % (date, self.listing(d), context))
        self.assertEqual(self.listing(d), ["video.mp4", "video.mp4.sha512sum"],
                         "%s: what is left in the day directory%s" % (date, context))
        # H.265 tagged hvc1, the only video stream.
        info = ffprobe_json(video, "stream=codec_type,codec_name,codec_tag_string,width,height",
                            "format=duration")
        video_streams = [s for s in info["streams"] if s["codec_type"] == "video"]
        self.assertEqual([(s["codec_name"], s["codec_tag_string"], s["width"], s["height"])
                          for s in video_streams], [("hevc", "hvc1", 320, 180)], info)
        # sha512sum accepts the checksum file, run in the directory.
        res = harness.run(["sha512sum", "-c", "video.mp4.sha512sum"], cwd=d)
        self.assertEqual(res.returncode, 0, "sha512sum -c: %s%s" % (res.stdout, res.stderr))
        self.assertEqual(res.stdout.strip(), "video.mp4: OK")
        # Duration: from the first segment's start to the last one's end (the file keeps
        # the day's timeline), and every source frame is in it.
        span = source[-1][1] + source[-1][2] - source[0][1]
        self.assertAlmostEqual(float(info["format"]["duration"]), span, delta=1.0,
                               msg="ffprobe duration of video.mp4, segments span %.3f s" % span)
        frames, errors = count_frames(video, decode=True)
        want_frames = round(sum(s[2] for s in source) * FPS)
        self.assertEqual(frames, want_frames, "frames decoded from video.mp4 " + errors)
        self.assertEqual(errors.strip(), "", "decoding video.mp4")
        # The catalog: the day converted, its file and one fragment per source segment,
        # where the boxes really are and when the segments started.
        day_row, conv, frags = self.catalog_day(camera, date)
        self.assertEqual(day_row["state"], "converted", day_row)
        self.assertEqual(self.catalog_segments(camera, date), [], "segment rows left")
        self.assertIsNotNone(conv, "no converted_day row")
        self.assertEqual(conv["file_name"], "video.mp4")
        self.assertEqual(conv["file_size_bytes"], os.path.getsize(video))
        self.assertEqual(conv["source_size_bytes"], sum(s[3] for s in source))
        init, boxes = harness.mp4_fragments(video)
        self.assertEqual(conv["init_size_bytes"], init, "init section = bytes before the first moof")
        self.assertEqual(len(frags), len(source), "fragment rows vs source segments:\n%s"
                         % "\n".join("  %s" % f for f in frags))
        self.assertEqual([(f["offset_bytes"], f["size_bytes"]) for f in frags], boxes,
                         "fragment rows vs the moof+mdat boxes of video.mp4")
        self.assertEqual([f["seq"] for f in frags], list(range(len(frags))))
        for f, s in zip(frags, source):
            self.assertAlmostEqual(f["start_time_us"] / 1e6, s[1], delta=0.05,
                                   msg="fragment %d starts at %s, segment %s at %s"
                                   % (f["seq"], _iso(f["start_time_us"] / 1e6), s[0], _iso(s[1])))
            self.assertAlmostEqual(f["duration_us"] / 1e6, s[2], delta=1.5 / FPS,
                                   msg="fragment %d lasts %.3f s, segment %s %.3f s"
                                   % (f["seq"], f["duration_us"] / 1e6, s[0], s[2]))
        self.assertEqual(day_row["segment_count"], len(source))
        return frags


# ---- 1. --convert-now, then the day through nginx ---------------------------------------
class ConvertNowAndPlay(ConvertCase):
    def test_convert_now_then_play_through_nginx(self):
        date = day(-3)
        front = harness.lay_out(self.root, "front", date, "100000", segments(12))
        harness.lay_out(self.root, "back", date, "100000", segments(3))
        self.configure([self.cam("front"), self.cam("back")])
        self.reindex()
        source = self.catalog_segments("front", date)
        self.assertEqual([s[0] for s in source], [p.name for p in front])
        back_before = self.ts_files(self.day_dir("back", date))
        self.start_stack(worker=False)
        query = "/playlist.m3u8?camera=front&date=" + date
        # Before: the TS playlist (through a cache-busting parameter nginx keys on, so
        # that only the program's own cache could keep it).
        code, hdrs, body = self.stack.get(query + "&_=before")
        self.assertEqual(code, 200, body)
        self.assertEqual(Playlist(body.decode()).uris, [p.uri for p in front])

        res = self.convert_now(date, "front")
        self.assertEqual(res.returncode, 0, "--convert-now: " + res.stderr)
        frags = self.assertConverted("front", "front", date, source, "\n" + res.stderr)
        # --camera front: the other camera's day of the same date is left alone.
        self.assertEqual(self.ts_files(self.day_dir("back", date)), back_before)
        self.assertFalse(os.path.exists(os.path.join(self.day_dir("back", date), "video.mp4")))
        self.assertEqual(self.catalog_day("back", date)[1], None)

        # The playlist of the converted day.
        code, hdrs, body = self.stack.get(query)
        self.assertEqual(code, 200, body)
        text = body.decode()
        pl = Playlist(text)
        problems = harness.check_playlist(pl, closed=True)
        self.assertEqual(problems, [], "\n".join(problems) + "\n" + text)
        self.assertEqual(pl.tag("#EXT-X-VERSION"), "7", text)
        uri = "/front/%s/video.mp4" % date
        video = os.path.join(self.day_dir("front", date), "video.mp4")
        init, boxes = harness.mp4_fragments(video)
        self.assertEqual(pl.tags.get("#EXT-X-MAP"), ['URI="%s",BYTERANGE="%d@0"' % (uri, init)],
                         text)
        ranges = [tuple(int(x) for x in v.split("@")) for v in pl.tags.get("#EXT-X-BYTERANGE", [])]
        self.assertEqual([(o, n) for n, o in ranges], boxes, "BYTERANGEs vs the file's boxes\n"
                         + text)
        self.assertEqual(pl.uris, [uri] * len(frags), text)
        for s, f in zip(pl.segments, frags):
            self.assertAlmostEqual(s["duration"], f["duration_us"] / 1e6, delta=0.0006, msg=text)
        self.assertAlmostEqual(pl.total, sum(s[2] for s in source), delta=1.0, msg=text)
        # nginx serves the ranges: the init section and a fragment, byte for byte.
        with open(video, "rb") as fh:
            data = fh.read()
        for off, size in [(0, init), boxes[len(boxes) // 2]]:
            code, h, part = self.stack.get(uri, {"Range": "bytes=%d-%d" % (off, off + size - 1)})
            self.assertEqual((code, h.get("content-type")), (206, "video/mp4"), h)
            self.assertTrue(part == data[off:off + size], "range %d@%d differs from the file"
                            % (size, off))
        # Players read the whole day through nginx.
        url = self.stack.base_url + query
        got = ffprobe_json(url, "format=duration")
        self.assertAlmostEqual(float(got["format"]["duration"]), sum(s[2] for s in source),
                               delta=1.0, msg="ffprobe %s" % url)
        frames, errors = count_frames(url)
        self.assertEqual(frames, round(sum(s[2] for s in source) * FPS),
                         "frames ffmpeg read through %s: %s" % (url, errors))


# ---- 2. kill -9 / SIGTERM mid-conversion ------------------------------------------------
class InterruptedConvertNow(ConvertCase):
    def test_kill_and_term_then_restart(self):
        # veryfast and 3 minutes: several seconds of encoding to interrupt.
        date, d, source, before = self.front_day(18, preset="veryfast")
        self.assertEqual(len(before), 18)

        state0 = self.catalog_day("front", date)[0]["state"]
        self.assertEqual(state0, "settled", "a past quiet day after --reindex")

        # SIGTERM while it encodes: docs/worker.md, --convert-now: "SIGINT/SIGTERM stop it
        # between frames (exit 1, the day gets its state back)", not counted as a failure,
        # and (as for the scheduler) the .part is removed, the segments stay.
        proc = self.start_convert_now(date, "front", "term.log")
        self.wait_encoding(d, proc, "--convert-now")
        self.assertEqual(self.catalog_day("front", date)[0]["state"], "converting",
                         "the day while --convert-now encodes it")
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            self.fail("--convert-now still running 5 s after SIGTERM")
        self.assertLess(time.monotonic() - t0, 5)
        log = self.read_log("term.log")
        self.assertEqual(proc.returncode, 1, "--convert-now after SIGTERM: " + log)
        self.assertEqual(self.listing(d), sorted(before), "after SIGTERM: the .part is "
                         "removed, the segments stay\n" + log)
        self.assertEqual(self.ts_files(d), before, "segments after SIGTERM")
        self.assertEqual(self.catalog_segments("front", date), source, "catalog after SIGTERM")
        day_row, conv, frags = self.catalog_day("front", date)
        self.assertEqual((day_row["state"], conv, frags), (state0, None, []), log)
        self.assertEqual(day_row["conversion_failures"], 0, "a stop is no failure: " + log)

        # kill -9 while it encodes: the segments intact, no video.mp4 (a .part may stay,
        # the day may stay `converting`: a crash's leftovers, for the next run).
        proc = self.start_convert_now(date, "front", "kill.log")
        self.wait_encoding(d, proc, "--convert-now after SIGTERM")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.assertEqual(self.ts_files(d), before, "segments after kill -9")
        self.assertFalse(os.path.exists(os.path.join(d, "video.mp4")), self.listing(d))
        self.assertFalse(os.path.exists(os.path.join(d, "video.mp4.sha512sum")))
        self.assertEqual(self.catalog_segments("front", date), source, "catalog after kill -9")
        self.assertEqual(self.catalog_day("front", date)[1:], (None, []),
                         "converted rows after kill -9")

        # The next run converts the day, and cleans any leftover .part.
        res = self.convert_now(date, "front")
        self.assertEqual(res.returncode, 0, "--convert-now after kill -9 and SIGTERM: "
                         + res.stderr)
        self.assertConverted("front", "front", date, source, "\n" + res.stderr)


class InterruptedDaemon(ConvertCase):
    def test_daemon_kill_term_restart(self):
        """The scheduler: kill -9 mid-conversion leaves the day `converting`; the restart
        settles it again and starts over; SIGTERM mid-conversion exits promptly with the
        .part removed and the day `settled` (docs/worker.md); the next start converts."""
        date, d, source, before = self.front_day(18, preset="veryfast", settleMinutes=0,
                                                 afterHours=1)

        self.start_stack(web=False)
        proc = self.stack.worker_proc
        self.wait_encoding(d, proc, "the daemon (first start)")
        self.assertEqual(self.catalog_day("front", date)[0]["state"], "converting")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.assertEqual(self.ts_files(d), before, "segments after kill -9 of the daemon")
        self.assertFalse(os.path.exists(os.path.join(d, "video.mp4")), self.listing(d))
        self.assertEqual(self.catalog_segments("front", date), source)

        self.stack.start_worker()
        proc = self.stack.worker_proc
        self.wait_encoding(d, proc, "the daemon (after kill -9)")
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            self.fail("the daemon still running 5 s after SIGTERM mid-conversion"
                      + self.stack.logs())
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(proc.returncode, 0, self.stack.logs())
        self.assertEqual(self.listing(d), sorted(before), "after SIGTERM: the .part is removed, "
                         "the segments stay" + self.stack.logs())
        self.assertEqual(self.ts_files(d), before)
        day_row, conv, frags = self.catalog_day("front", date)
        self.assertEqual((day_row["state"], conv, frags), ("settled", None, []), day_row)
        self.assertEqual(day_row["conversion_failures"], 0, "an abandoned conversion is no failure")
        self.assertEqual(self.catalog_segments("front", date), source)

        self.stack.start_worker()
        deadline = time.monotonic() + 120
        while not os.path.exists(os.path.join(d, "video.mp4.sha512sum")) or \
                glob.glob(os.path.join(d, "*.ts")):
            if time.monotonic() > deadline:
                self.fail("not converted 120 s after the restart: %s%s"
                          % (self.listing(d), self.stack.logs()))
            if self.stack.worker_proc.poll() is not None:
                self.fail("the daemon exited" + self.stack.logs())
            time.sleep(0.2)
        # put_converted_day commits before the segments go: the rows are there now.
        self.assertConverted("front", "front", date, source, self.stack.logs())


class ConvertNowWhileDaemonConverts(ConvertCase):
    def test_convert_now_during_the_schedulers_conversion(self):
        """An operator runs `--convert-now` on the day the daemon is converting. Whoever
        wins, the catalog must end consistent: converted (file, rows, no segments) or
        settled with the segments, and never `settled` with the day's segments gone.
        (Before the fix in converter_module.cpp the daemon, whose segments vanished under
        it, set the converted day back to `settled` and counted a failure: the playlist
        then had no segments and the index showed the day as failed.)"""
        date, d, source, before = self.front_day(12, preset="veryfast", settleMinutes=0,
                                                 afterHours=1)
        self.start_stack(web=False)
        self.wait_encoding(d, self.stack.worker_proc, "the daemon")
        res = self.convert_now(date, "front")
        # The daemon's conversion ends too (it fails once its segments are gone).
        deadline = time.monotonic() + 120
        while (self.catalog_day("front", date)[0]["state"] == "converting" or
               os.path.exists(os.path.join(d, "video.mp4.part"))):
            if time.monotonic() > deadline:
                self.fail("the daemon's conversion did not end in 120 s" + self.stack.logs())
            time.sleep(0.2)
        time.sleep(1)
        proc = self.stack.worker_proc
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        logs = "\n--convert-now (rc %d):\n%s%s" % (res.returncode, res.stderr, self.stack.logs())
        day_row, conv, frags = self.catalog_day("front", date)
        if res.returncode == 0:
            self.assertEqual(day_row["state"], "converted",
                             "--convert-now succeeded, the day is %s" % day_row + logs)
        if day_row["state"] == "converted":
            self.assertConverted("front", "front", date, source, logs)
        else:
            self.assertEqual(day_row["state"], "settled", logs)
            self.assertEqual((conv, frags), (None, []), logs)
            self.assertEqual(self.ts_files(d), before, logs)
            self.assertEqual(self.catalog_segments("front", date), source, logs)


# ---- 3. a corrupt segment in the middle -------------------------------------------------
class CorruptSegment(ConvertCase):
    BAD = 5  # of 12

    def prepare(self):
        self.date = day(-3)
        self.placed = harness.lay_out(self.root, "front", self.date, "100000", segments(12))
        self.configure([self.cam("front")])
        self.d = self.day_dir("front", self.date)
        self.bad = os.path.join(self.d, self.placed[self.BAD].name)

    def garbage(self, size, keep_stamp=False):
        """Replaces the bad segment (a hard link to a fixture: unlinked, not written
        through) by `size` random bytes; `keep_stamp`: same mtime, so that the
        incremental reindex does not probe it again (bit rot after indexing)."""
        st = os.stat(self.bad)
        os.unlink(self.bad)
        with open(self.bad, "wb") as f:
            f.write(os.urandom(size))
        if keep_stamp:
            os.utime(self.bad, ns=(st.st_atime_ns, st.st_mtime_ns))

    def check(self, res, source):
        self.assertEqual(res.returncode, 0, "--convert-now with a corrupt segment: " + res.stderr)
        name = self.placed[self.BAD].name
        warnings = [l for l in res.stderr.splitlines() if l.startswith("<4>") and name in l]
        self.assertTrue(warnings, "no warning naming %s:\n%s" % (name, res.stderr))
        good = [s for s in source if s[0] != name]
        self.assertEqual(len(good), len(source) - 1)
        video = os.path.join(self.d, "video.mp4")
        self.assertTrue(os.path.exists(video), "%s\n%s" % (self.listing(self.d), res.stderr))
        left = [n for n in self.listing(self.d) if n not in (name,)]
        # The corrupt file itself may stay (not indexed) or go with the others.
        self.assertEqual(left, ["video.mp4", "video.mp4.sha512sum"], res.stderr)
        res2 = harness.run(["sha512sum", "-c", "video.mp4.sha512sum"], cwd=self.d)
        self.assertEqual(res2.returncode, 0, res2.stdout + res2.stderr)
        # Content: every frame of the other 11 segments, the timeline keeps the hole.
        frames, errors = count_frames(video, decode=True)
        self.assertEqual(frames, round(sum(s[2] for s in good) * FPS), errors)
        day_row, conv, frags = self.catalog_day("front", self.date)
        self.assertEqual(day_row["state"], "converted")
        self.assertEqual(len(frags), len(source) - 1, frags)
        self.assertEqual(harness.mp4_fragments(video)[1],
                         [(f["offset_bytes"], f["size_bytes"]) for f in frags])
        for f, s in zip(frags, good):
            self.assertAlmostEqual(f["start_time_us"] / 1e6, s[1], delta=0.05,
                                   msg="fragment %d vs segment %s" % (f["seq"], s[0]))
            self.assertAlmostEqual(f["duration_us"] / 1e6, s[2], delta=1.5 / FPS,
                                   msg="fragment %d vs segment %s" % (f["seq"], s[0]))
        total = sum(f["duration_us"] for f in frags) / 1e6
        self.assertAlmostEqual(total, sum(s[2] for s in source) - source[self.BAD][2], delta=1.0)

    def test_garbage_before_indexing(self):
        """A segment that arrived as garbage (300 bytes): the rest converts."""
        self.prepare()
        self.reindex()
        source = self.catalog_segments("front", self.date)
        self.garbage(300)
        res = self.convert_now(self.date, "front")
        self.check(res, source)

    def test_bit_rot_after_indexing(self):
        """A segment indexed as good whose bytes then rotted (same size and mtime): the
        converter itself meets it, skips it with a warning and converts the rest."""
        self.prepare()
        self.reindex()
        source = self.catalog_segments("front", self.date)
        self.garbage(os.path.getsize(self.bad), keep_stamp=True)
        res = self.convert_now(self.date, "front")
        self.check(res, source)


# ---- 4 + 5. the daemon's scheduler: settle rule, recording while converting -------------
class Scheduler(ConvertCase):
    """One daemon run (about 90 s), asserted by three tests:
    - camera `front` is recorded from a real RTSP camera (2 s segments) the whole time;
    - `front`'s day D-3 is settled: the scheduler converts it (afterHours 1,
      settleMinutes 1: about a minute after the daemon starts);
    - camera `yard` (upload-only) has an even older day D-4 that keeps receiving
      segments (fresh files, one more every 4 s, renamed into place like an upload): it
      is older, so "oldest first" would take it, but it is not quiet, so it stays.
    settleMinutes is a whole number of minutes (core/config.cpp: 0..100000); 1 is the
    smallest that holds back a day whose newest segment arrived just now."""
    scenario = None
    scenario_error = None

    def run_scenario(self):
        if Scheduler.scenario_error:
            self.fail("the scenario failed in an earlier test:\n" + Scheduler.scenario_error)
        if Scheduler.scenario is not None:
            return Scheduler.scenario
        try:
            Scheduler.scenario = self._scenario()
        except AssertionError as e:
            Scheduler.scenario_error = str(e)
            raise
        return Scheduler.scenario

    def _scenario(self):
        harness.require_fakecam()
        cam = FakeCam(self.work, "cam1", fps=FPS, size="320x180")
        self.addCleanup(cam.stop)
        cam.start()
        old, busy = day(-3), day(-4)
        # ~15 s of veryfast encoding on two cores, so that recording overlaps it.
        harness.lay_out(self.root, "front", old, "100000", segments(20))
        harness.lay_out(self.root, "yard", busy, "100000", segments(6), copy=True)
        self.configure([self.cam("front", url=cam.url(), segmentSeconds=REC_SEG),
                        self.cam("yard")], preset="veryfast", settleMinutes=1, afterHours=1)
        self.reindex()
        sc = {"old": old, "busy": busy, "source": self.catalog_segments("front", old),
              "busy_source": self.catalog_segments("yard", busy), "gop": cam.gop_seconds}
        self.assertEqual(len(sc["source"]), 20)
        old_dir, busy_dir = self.day_dir("front", old), self.day_dir("yard", busy)
        part = os.path.join(old_dir, "video.mp4.part")
        self.start_stack(web=False)
        halt = threading.Event()
        added = []

        def arrive():
            segs = segments(FIXTURE_COUNT)
            i = 6
            while not halt.wait(4.0) and i < FIXTURE_COUNT:
                name = "video_%s.ts" % harness.hhmmss(10 * 3600 + i * SEG_S)
                tmp = os.path.join(busy_dir, "." + name)
                shutil.copyfile(segs[i].path, tmp)
                os.rename(tmp, os.path.join(busy_dir, name))
                added.append(name)
                i += 1
        uploader = threading.Thread(target=arrive, daemon=True)
        uploader.start()
        seen = {}
        try:
            deadline = time.monotonic() + 150  # settle 1 min + the 1 min check period
            while "done" not in seen:
                now = time.time()
                if os.path.exists(part):
                    seen.setdefault("part", now)
                if os.path.exists(os.path.join(old_dir, "video.mp4")):
                    seen.setdefault("done", now)
                if time.monotonic() > deadline:
                    self.fail("the settled day was not converted in 150 s: %s%s"
                              % (self.listing(old_dir), self.stack.logs()))
                if self.stack.worker_proc.poll() is not None:
                    self.fail("the daemon exited" + self.stack.logs())
                time.sleep(0.05)
            # The scheduler looks for the next due day at once; the recorder closes
            # the segment in hand.
            time.sleep(2 * REC_SEG + 1)
        finally:
            halt.set()
            uploader.join(10)
        # Every upload indexed: the day really was receiving while the other converted.
        deadline = time.monotonic() + 5
        while len(self.catalog_segments("yard", busy)) < 6 + len(added) and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        sc["busy_rows"] = self.catalog_segments("yard", busy)
        sc["busy_day"] = self.catalog_day("yard", busy)
        proc = self.stack.worker_proc
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        sc["rc"] = proc.returncode
        sc["logs"] = self.stack.logs()
        sc["seen"] = seen
        sc["added"] = list(added)
        sc["busy_files"] = self.ts_files(busy_dir)
        sc["busy_listing"] = self.listing(busy_dir)
        sc["old_listing"] = self.listing(old_dir)
        # The recorded segments (today, and yesterday if the run crossed midnight).
        dates = sorted({dt.datetime.fromtimestamp(t, dt.timezone.utc).date().isoformat()
                        for t in (seen.get("part", time.time()) - 120, time.time())})
        rec = []
        for date in dates:
            rec += self.catalog_segments("front", date)
        sc["rec"] = sorted(rec, key=lambda s: s[1])
        sc["rec_files"] = {os.path.basename(p): p for date in dates for p in
                           glob.glob(os.path.join(self.day_dir("front", date), "video_*.ts"))}
        sc["rec_frames"] = {n: harness.probe_frames(p) for n, p in sc["rec_files"].items()}
        # What assertConverted needs, checked now (the temp dir goes with this test).
        try:
            self.assertConverted("front", "front", old, sc["source"], sc["logs"])
            sc["converted_error"] = None
        except AssertionError as e:
            sc["converted_error"] = str(e)
        return sc

    def test_settled_day_converted_by_the_scheduler(self):
        sc = self.run_scenario()
        self.assertEqual(sc["rc"], 0, sc["logs"])
        self.assertIn("part", sc["seen"], "the conversion was never seen running")
        if sc["converted_error"]:
            self.fail(sc["converted_error"])

    def test_receiving_day_not_converted(self):
        sc = self.run_scenario()
        self.assertGreaterEqual(len(sc["added"]), 10, "the uploader kept the day busy")
        self.assertEqual(sc["busy_listing"], sorted(sc["busy_files"]),
                         "the receiving day: only its segments, no video.mp4 or .part"
                         + sc["logs"])
        segs = segments(FIXTURE_COUNT)
        for i, name in enumerate(sorted(sc["busy_files"])):
            self.assertEqual(sc["busy_files"][name],
                             (os.path.getsize(segs[i].path), harness.sha256_file(segs[i].path)),
                             name)
        day_row, conv, frags = sc["busy_day"]
        self.assertEqual((conv, frags), (None, []), sc["logs"])
        self.assertEqual(day_row["state"], "recording", day_row)
        self.assertEqual([r[0] for r in sc["busy_rows"]], sorted(sc["busy_files"]),
                         "every arrival indexed")

    def test_recording_continues_while_converting(self):
        sc = self.run_scenario()
        rec, seen = sc["rec"], sc["seen"]
        self.assertIn("part", seen, "the conversion was never seen running")
        t_start, t_end = seen["part"], seen["done"]
        table = "\n".join("  %s %s %.3f s" % (n, _iso(st), du) for n, st, du, b in rec) + \
            "\n  conversion %s .. %s" % (_iso(t_start), _iso(t_end))
        self.assertGreater(t_end - t_start, 2 * REC_SEG, "the conversion was too short to "
                           "overlap the recording\n" + table)
        self.assertTrue(rec, "nothing recorded" + sc["logs"])
        self.assertLessEqual(rec[0][1], t_start, "recording started after the conversion\n"
                             + table)
        self.assertGreaterEqual(rec[-1][1] + rec[-1][2], t_end, table)
        for a, b in zip(rec, rec[1:]):
            self.assertAlmostEqual(b[1], a[1] + a[2], delta=0.15,
                                   msg="%s ends at %s, %s starts at %s\n%s"
                                   % (a[0], _iso(a[1] + a[2]), b[0], _iso(b[1]), table))
        inside = [s for s in rec if s[1] >= t_start and s[1] + s[2] <= t_end]
        self.assertGreaterEqual(len(inside), int((t_end - t_start) / REC_SEG) - 2,
                                "segments recorded during the conversion\n" + table)
        # Every frame the camera sent is in its file: nothing dropped inside a segment.
        self.assertEqual(sorted(sc["rec_files"]), sorted(s[0] for s in rec),
                         "files vs catalog rows")
        for name, start, dur, size in rec:
            frames = sc["rec_frames"][name]
            self.assertAlmostEqual(frames, dur * FPS, delta=1.01,
                                   msg="%s: %d frames in %.3f s\n%s" % (name, frames, dur, table))


def main():
    try:
        unittest.main(verbosity=2)
    finally:
        harness.cleanup_fixtures()
        harness.cleanup_extra_fixtures()


if __name__ == "__main__":
    main()
