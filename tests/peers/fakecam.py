#!/usr/bin/python3
"""fakecam.py: an RTSP camera simulator (gst-rtsp-server through python3-gi).

The recipe of ../shared/PEERS.md section 1, tested on Debian 12 with GStreamer 1.22:
a live test pattern encoded by x264 (or x265), optionally with AAC audio, served over
RTSP on loopback, optionally behind basic or digest authentication.

    /usr/bin/python3 tests/peers/fakecam.py --port 8554 --user admin --password secret
    # prints "ready rtsp://127.0.0.1:8554/cam1" once the port is bound

Run it with Debian's /usr/bin/python3 (a venv python has no `gi`). Packages:
python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-{base,good,ugly,bad}
(+ gstreamer1.0-x for --clock); scripts/install-deps installs them.

The GOP is 2 x fps frames (a keyframe every 2 s) unless --gop says otherwise. SIGINT/SIGTERM exit cleanly (0);
restarting on the same port works at once. `--port 0` binds a free port, which the
ready line names. Exit status 2 = a missing package (message on stderr), 3 = the port
could not be bound.
"""
import argparse
import os
import signal
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description="RTSP camera simulator (gst-rtsp-server)")
    p.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8554, help="TCP port; 0 = any free port")
    p.add_argument("--mount", action="append",
                   help="mount point, repeatable (default /cam1); each has its own encoder")
    p.add_argument("--user", help="require authentication as this user")
    p.add_argument("--password", default="")
    p.add_argument("--auth", choices=["basic", "digest"], default="basic")
    p.add_argument("--size", default="640x360", help="WxH (default 640x360)")
    p.add_argument("--fps", type=int, default=10)
    p.add_argument("--gop", type=int, default=0,
                   help="frames from keyframe to keyframe (default 2 x fps: one every 2 s)")
    p.add_argument("--bitrate", type=int, default=512, help="kbit/s (default 512)")
    p.add_argument("--codec", choices=["h264", "h265"], default="h264")
    p.add_argument("--audio", action="store_true", help="add AAC 16 kHz mono")
    p.add_argument("--clock", action="store_true",
                   help="burn in the wall-clock time (needs gstreamer1.0-x)")
    p.add_argument("--log-clients", action="store_true",
                   help="one line on stderr per client connection (with the wall-clock time)")
    p.add_argument("--check", action="store_true",
                   help="only check that GStreamer and the elements these options need are "
                        "installed: exit 0, or 2 with what is missing on stderr")
    p.add_argument("--ready-file", help="write the stream URL (without credentials) to this "
                                        "file once the port is bound (written atomically)")
    a = p.parse_args(argv)
    try:
        w, h = (int(v) for v in a.size.split("x"))
        if w <= 0 or h <= 0 or w % 2 or h % 2:
            raise ValueError
    except ValueError:
        p.error("--size wants WxH with even positive numbers, e.g. 640x360")
    if a.fps <= 0 or a.fps > 120:
        p.error("--fps wants 1..120")
    a.width, a.height = w, h
    if a.gop < 0:
        p.error("--gop wants a positive number of frames")
    a.gop = a.gop or 2 * a.fps
    a.mounts = a.mount or ["/cam1"]
    for m in a.mounts:
        if not m.startswith("/"):
            p.error("--mount wants a path starting with /: %r" % m)
    return a


def launch_line(a):
    src = ("videotestsrc is-live=true pattern=ball ! video/x-raw,width=%d,height=%d,framerate=%d/1"
           % (a.width, a.height, a.fps))
    if a.clock:
        src += ' ! clockoverlay time-format="%Y-%m-%d %H:%M:%S"'
    gop = a.gop
    if a.codec == "h264":
        enc = ("x264enc tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d"
               % (a.bitrate, gop))
        pay = "rtph264pay"
    else:
        enc = ("x265enc tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d"
               % (a.bitrate, gop))
        pay = "rtph265pay"
    launch = "( %s ! %s ! %s name=pay0 pt=96 config-interval=1" % (src, enc, pay)
    if a.audio:
        launch += (" audiotestsrc is-live=true volume=0.1 ! audio/x-raw,rate=16000,channels=1"
                   " ! voaacenc bitrate=32000 ! rtpmp4gpay name=pay1 pt=97")
    return launch + " )"


def main(argv):
    a = parse_args(argv)
    try:
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("GstRtsp", "1.0")
        gi.require_version("GstRtspServer", "1.0")
        from gi.repository import GLib, Gst, GstRtsp, GstRtspServer
    except (ImportError, ValueError) as e:
        print("fakecam: GStreamer RTSP server not available (%s): install python3-gi "
              "gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good "
              "gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad, and run /usr/bin/python3"
              % e, file=sys.stderr)
        return 2
    Gst.init(None)
    needed = ["videotestsrc", "x264enc" if a.codec == "h264" else "x265enc",
              "rtph264pay" if a.codec == "h264" else "rtph265pay"]
    if a.audio:
        needed += ["audiotestsrc", "voaacenc", "rtpmp4gpay"]
    if a.clock:
        needed.append("clockoverlay")
    missing = [e for e in needed if Gst.ElementFactory.find(e) is None]
    if missing:
        print("fakecam: GStreamer elements missing: %s (gstreamer1.0-plugins-*, "
              "gstreamer1.0-x for --clock)" % " ".join(missing), file=sys.stderr)
        return 2
    if a.check:
        return 0

    launch = launch_line(a)
    server = GstRtspServer.RTSPServer(address=a.address, service=str(a.port))
    if a.user:
        auth, token = GstRtspServer.RTSPAuth(), GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        if a.auth == "digest":
            auth.add_digest(a.user, a.password, token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(a.user, a.password), token)
        server.set_auth(auth)
    for m in a.mounts:
        f = GstRtspServer.RTSPMediaFactory(launch=launch, shared=True)  # one encoder per mount
        if a.user:
            f.add_role_from_structure(Gst.Structure.new_from_string(
                "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"))
        server.get_mount_points().add_factory(m, f)
    if a.log_clients:
        def connected(_server, client):
            conn = client.get_connection()
            print("fakecam: %.3f client connected from %s"
                  % (time.time(), conn.get_ip() if conn else "?"), file=sys.stderr, flush=True)
        server.connect("client-connected", connected)
    if server.attach(None) == 0:
        print("fakecam: cannot bind %s:%d" % (a.address, a.port), file=sys.stderr)
        return 3
    port = server.get_bound_port()
    url = "rtsp://%s:%d%s" % (a.address, port, a.mounts[0])
    loop = GLib.MainLoop()
    for s in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, s, loop.quit)
    if a.ready_file:
        tmp = a.ready_file + ".part"
        with open(tmp, "w") as f:
            f.write(url + "\n")
        os.replace(tmp, a.ready_file)
    print("fakecam: %s %dx%d %d fps, GOP %d frames%s%s"
          % (a.codec, a.width, a.height, a.fps, a.gop, ", AAC audio" if a.audio else "",
             ", %s auth" % a.auth if a.user else ""), file=sys.stderr, flush=True)
    print("ready %s" % url, flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
