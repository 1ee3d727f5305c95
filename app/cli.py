"""`python main.py gui [VIDEO] [--screenshot FILE --exit-when-done]`: the desktop app."""

from __future__ import annotations

import argparse
import os
import sys

from pstmo.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", nargs="?", help="video (or image folder) to open and process")
    parser.add_argument("--screenshot", default=None, help="save a PNG of the window when processing is done")
    parser.add_argument("--exit-when-done", action="store_true", help="quit when processing (and screenshot) is done")
    parser.add_argument("--checkpoint", default=None, help="lifter checkpoint (default: saved settings / shipped)")
    parser.add_argument("--max-frames", type=int, default=None, help="process only the first N frames")
    parser.add_argument("--person", default=None,
                        help="whom to lift (as `process --person`: main, largest, longest, an id, or all)")
    parser.add_argument("--live", action="store_true",
                        help="replay VIDEO through live mode as if it were a webcam (demo without a camera)")
    parser.add_argument("--record", default=None,
                        help="with --live: record the take to this video; it stays on screen when live mode stops")
    parser.add_argument("--frame", type=int, default=None, help="frame to show when done (default: a middle one)")
    parser.add_argument("--size", default="1600x900", help="window size WxH (default 1600x900)")
    parser.add_argument("--timeout", type=float, default=600.0, help="with --exit-when-done: give up after N s")


def _has_display() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return bool(platform and not platform.startswith("xcb")) or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    if not _has_display():
        raise InputError("no display: run under `xvfb-run`, or set QT_QPA_PLATFORM=offscreen")
    from PyQt5 import QtCore, QtWidgets

    from app.main_window import MainWindow
    from app.skeleton_view import configure_opengl

    if QtWidgets.QApplication.instance() is None:
        configure_opengl()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    app.setApplicationName("P-STMO Studio")
    window = MainWindow()
    if args.checkpoint or args.max_frames or args.person:
        data = window.pipeline.settings.to_dict()
        data.update({k: v for k, v in (("checkpoint", args.checkpoint), ("max_frames", args.max_frames),
                                       ("person", args.person)) if v})
        from pipeline.settings import PipelineSettings

        window.pipeline = type(window.pipeline)(PipelineSettings.from_dict(data))
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise InputError(f"--size must look like 1600x900, got {args.size!r}") from None
    window.resize(width, height)
    window.show()
    exit_code = {"code": 0}

    shot = {"taken": False}
    timers: list[QtCore.QTimer] = []

    def later(ms: int, function) -> None:
        """Runs `function` after `ms` unless the app has quit by then (the timers stop with this call, so none
        fires in a later event loop of the same process, e.g. the next test)."""
        timer = QtCore.QTimer(window, singleShot=True, interval=int(ms))
        timer.timeout.connect(function)
        timers.append(timer)
        timer.start()

    def finish(ok: bool) -> None:
        if not ok:
            exit_code["code"] = 1
            if window.last_error:
                print(f"error: {window.last_error}", file=sys.stderr)
        if ok and window.result is not None:
            index = args.frame if args.frame is not None else window.best_frame()
            if args.screenshot:  # the frame is decoded in the background: shoot once it is on screen
                window.frame_shown.connect(lambda shown: shown == index and later(300, _shoot_and_maybe_exit))
                later(15_000, _shoot_and_maybe_exit)  # decoding failed: shoot anyway
            window.timeline.set_index(index)
            window.show_frame(index)
            if args.screenshot:
                return
        if args.screenshot:
            later(300, _shoot_and_maybe_exit)
        elif args.exit_when_done:
            later(0, app.quit)

    def _shoot_and_maybe_exit() -> None:
        if shot["taken"]:
            return
        shot["taken"] = True
        path = window.save_screenshot(args.screenshot)
        print(f"screenshot: {path}")
        if args.exit_when_done:
            app.quit()

    if args.video and args.live:
        from pipeline.sources import open_source

        window.live_finished.connect(lambda frames: finish(frames > 0 and window.last_error is None))
        later(0, lambda: window.start_live(open_source(args.video), record=args.record))
    elif args.video:
        window.processing_finished.connect(finish)
        later(0, lambda: window.open_video(args.video))
    elif args.screenshot or args.exit_when_done:
        later(500, lambda: finish(True))
    if args.exit_when_done:
        def give_up() -> None:
            print(f"error: gave up after {args.timeout:.0f} s", file=sys.stderr)
            exit_code["code"] = 1
            window.cancel()
            app.quit()

        later(int(args.timeout * 1000), give_up)
    app.exec_()
    for timer in timers:
        timer.stop()
    window.close()
    return exit_code["code"]
