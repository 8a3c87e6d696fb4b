"""Benchmark footage shared by bench/export and bench/timelapse (stdlib only).

make_day() encodes, once per (minutes, size, fps, kbit/s), a day of 10 s MPEG-TS
segments `video_HHMMSS.ts` starting at 10:00:00 with the ffmpeg command line: a moving
test pattern (testsrc2) with light sensor noise, H.264 (libx264 veryfast, constrained
bitrate), a keyframe every 2 s and exactly at every 10 s cut. Cached in
var/bench-footage/<minutes>min-<size>-<fps>fps-<kbps>k/<DATE>/, mtimes 10 days old (a
closed, quiet day).
"""
import glob
import os
import re
import shutil
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(REPO, "var", "bench-footage")
DATE = "2026-11-01"
START_S = 10 * 3600  # the first segment is video_100000.ts
SEGMENT_S = 10


def hhmmss(seconds):
    return "%02d%02d%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def make_day(minutes, size, fps, kbps, say):
    """The cached day directory (made now if missing)."""
    day = os.path.join(CACHE, "%dmin-%s-%dfps-%dk" % (minutes, size, fps, kbps), DATE)
    if glob.glob(os.path.join(day, "video_*.ts")):
        return day
    part = day + ".part"
    shutil.rmtree(part, ignore_errors=True)
    os.makedirs(part)
    say("encoding %d minutes of %s at %d fps, %d kbit/s, into 10 s segments (once, cached "
        "in %s)" % (minutes, size, fps, kbps, os.path.relpath(day, REPO)))
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi",
         "-i", "testsrc2=size=%s:rate=%d,noise=alls=4:allf=t" % (size, fps),
         "-t", str(minutes * 60), "-c:v", "libx264", "-preset", "veryfast",
         "-b:v", "%dk" % kbps, "-maxrate", "%dk" % (kbps * 6 // 5), "-bufsize", "%dk" % (kbps * 2),
         "-g", str(2 * fps), "-keyint_min", str(2 * fps), "-sc_threshold", "0",
         "-force_key_frames", "expr:gte(t,n_forced*%d)" % SEGMENT_S, "-pix_fmt", "yuv420p",
         "-f", "segment", "-segment_time", str(SEGMENT_S), "-segment_format", "mpegts",
         "-reset_timestamps", "1", os.path.join(part, "seg_%05d.ts")], check=True)
    old = time.time() - 10 * 86400
    for path in sorted(glob.glob(os.path.join(part, "seg_*.ts"))):
        n = int(re.search(r"seg_(\d+)\.ts$", path).group(1))
        dst = os.path.join(part, "video_%s.ts" % hhmmss(START_S + n * SEGMENT_S))
        os.rename(path, dst)
        os.utime(dst, (old, old))
    os.rename(part, day)
    return day


def link_day(source, archive, camera):
    """Hard links (or copies) the day's segments into <archive>/<camera>/<DATE>/."""
    dst = os.path.join(archive, camera, DATE)
    os.makedirs(dst)
    for path in sorted(glob.glob(os.path.join(source, "video_*.ts"))):
        target = os.path.join(dst, os.path.basename(path))
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    return dst


def concat_list(day, path):
    """An ffmpeg concat demuxer list of the day's segments, in time order."""
    with open(path, "w") as f:
        for seg in sorted(glob.glob(os.path.join(day, "video_*.ts"))):
            f.write("file '%s'\n" % seg)
    return path


def duration_of(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                          "-of", "csv=p=0", path], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[0])


def frames_of(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                          "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])
