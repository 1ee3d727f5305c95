"""Everyone in one scene on a real two-person clip: `process --person all` on the shared sports2d video.

    .venv/bin/python benchmarks/multi_person_sports2d.py [--checkpoint FILE] [--video FILE] [--no-live] [--save]

Runs `Pipeline.process` with `person="all"` at the app's defaults (detector, tracker, shipped lifter,
smoothing, world frame) and writes every export (BVH, CSV, JSON, NPZ) per person into a temporary folder.
Measured per lifted person:
- `bone_cv_mean` / `bone_cv_max`: coefficient of variation over time of each of the 16 bone lengths of the
  lifter's output on the frames the person was detected (as `benchmarks/bone_stability.py`; a rigid body has
  0); `bone_cv_exported_mean`: the same on the exported (smoothed, world-frame) motion over their span;
  `bone_cv_upright_mean`: on the detected frames where they stand upright in the image (head above the
  pelvis, both ankles below it; `frames_upright`), apart from flips, rolls and falls that the H36M-trained
  lifter has never seen;
- `stature_m`: ankle-to-head bone chain (median bone lengths) of the lifter's 3D: the size prior that sets
  each person's distance from the camera (the single-camera scale ambiguity, see docs/motion.md);
- `feet_level_m`: median height of the lower foot above the shared floor (world frame);
- `bvh_round_trip_max_mm`: their BVH read back (bvhio) against the exported motion with its bones set to
  the constant symmetric lengths the BVH skeleton holds.
The main person is also processed alone (`person="main"`) for their bone CV without everyone else in focus.
Between the two people (frames where both were detected): `image_order_agreement` (share of frames where
their left-right order in the image, hips' x in pixels, equals the order of their camera-frame x in 3D),
`distance_m_median` (root to root, world frame) and `depth_difference_m_median` (camera z, B - A).
With live (default): `LiveSession(person="all")` over the same video, every frame processed (no drops):
2D ms and lift ms per frame (median), how many people were lifted per frame, and the lift stage's share of
the 2D stage's time (the real-time budget is the 2D stage's).
Writes `benchmarks/results/multi_person_sports2d.json` and `.md` with `--save`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.bone_stability import MEDIA, bone_length_cv  # noqa: E402
from benchmarks.report import emit, machine_info  # noqa: E402
from motion.bones import set_bone_lengths, symmetric_bone_lengths  # noqa: E402
from motion.bvh_read import read_bvh_h36m  # noqa: E402
from motion.export_bvh import to_y_up  # noqa: E402
from pipeline import Pipeline, PipelineSettings  # noqa: E402
from pstmo.skeleton import H36M_BONES  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
STATURE_CHAIN = (3, 2, 1, 0, 7, 8, 9, 10)
"""Right ankle, knee, hip, pelvis, spine, thorax, neck/nose, head (as `multi_person_scale.py`)."""


def stature(joints: np.ndarray) -> float:
    """Metres from ankle to head along `STATURE_CHAIN`, each bone at its median length over time."""
    return float(sum(np.median(np.linalg.norm(joints[:, a] - joints[:, b], axis=-1))
                     for a, b in zip(STATURE_CHAIN[:-1], STATURE_CHAIN[1:], strict=True)))


def to_camera(motion) -> np.ndarray:
    """A world-frame motion's joints back in the camera frame (its `camera_to_world` inverted)."""
    transform = motion.metadata["camera_to_world"]
    rotation, shift = np.asarray(transform["R"]), np.asarray(transform["t"])
    return (motion.joints - shift) @ rotation


def measure_people(video: Path, checkpoint: str | None) -> dict:
    settings = PipelineSettings(person="all", **({"checkpoint": checkpoint} if checkpoint else {}))
    started = time.time()
    with tempfile.TemporaryDirectory() as out:
        result = Pipeline(settings).process(video, out)
        people = []
        for person in result.people:
            seen = ~np.asarray(person.missing, dtype=bool)
            cv = bone_length_cv(person.joints[seen])
            pixels = person.track.keypoints
            upright = seen & (pixels[:, 10, 1] < pixels[:, 0, 1]) & (pixels[:, [3, 6], 1].min(axis=1) > pixels[:, 0, 1])
            exported = person.export_motion()
            world = exported.joints
            feet = world[:, [3, 6], 1].min(axis=1)
            positions, _ = read_bvh_h36m(Path(out) / f"{Path(video).stem}.person{person.person_id}.bvh")
            y_up = to_y_up(exported)
            expected = set_bone_lengths(y_up, symmetric_bone_lengths(y_up))
            first, stop = person.span
            people.append({
                "person_id": person.person_id, "first_frame": first, "last_frame": stop - 1,
                "frames_in_span": stop - first, "frames_detected": int(seen.sum()),
                "missing_in_span": len(exported.metadata["missing_frames"]),
                "bone_cv_mean": round(float(cv.mean()), 4), "bone_cv_max": round(float(cv.max()), 4),
                "worst_bone": "-".join(str(j) for j in H36M_BONES[int(np.argmax(cv))]),
                "bone_cv_exported_mean": round(float(bone_length_cv(world).mean()), 4),
                "frames_upright": int(upright.sum()),
                "bone_cv_upright_mean": round(float(bone_length_cv(person.joints[upright]).mean()), 4)
                if upright.sum() > 1 else None,
                "stature_m": round(stature(person.joints[seen]), 3),
                "feet_level_m": round(float(np.median(feet)), 3),
                "bvh_round_trip_max_mm": round(1000 * float(np.linalg.norm(positions - expected, axis=-1).max()), 4),
                "files": sorted(p.name for p in Path(out).glob(f"*.person{person.person_id}.*")),
            })
    pair = None
    if len(result.people) >= 2:
        a, b = result.people[:2]
        frames = [f for f in range(*b.span) if a.seen(f) and b.seen(f)]
        cam_a, cam_b = to_camera(a.motion), to_camera(b.motion)
        world_a, world_b = a.motion.joints, b.motion.joints
        ia, ib = [a.index(f) for f in frames], [b.index(f) for f in frames]
        pixels_a, pixels_b = a.track.keypoints[ia, 0, 0], b.track.keypoints[ib, 0, 0]
        same = np.sign(pixels_b - pixels_a) == np.sign(cam_b[ib, 0, 0] - cam_a[ia, 0, 0])
        pair = {"ids": [a.person_id, b.person_id], "frames_both_detected": len(frames),
                "image_order_agreement": round(float(same.mean()), 4) if frames else None,
                "distance_m_median": round(float(np.median(np.linalg.norm(world_b[ib, 0] - world_a[ia, 0],
                                                                           axis=-1))), 3) if frames else None,
                "depth_difference_m_median": round(float(np.median(cam_b[ib, 0, 2] - cam_a[ia, 0, 2])), 3)
                if frames else None}
    # the main person followed alone (person="main": the others outside the detector's focus), for comparison
    alone = Pipeline(PipelineSettings(exports=(), **({"checkpoint": checkpoint} if checkpoint else {}))).process(video)
    seen_alone = ~np.asarray(alone.missing, dtype=bool)
    main_alone = {"person_id": alone.track.person_id, "frames_detected": int(seen_alone.sum()),
                  "bone_cv_mean": round(float(bone_length_cv(alone.joints[seen_alone]).mean()), 4)}
    return {"video": video.name, "frames": len(result.track), "lifted": result.summary.lifted,
            "main_person_alone": main_alone,
            "who": result.track.extra.get("target_reason", ""), "people": people, "pair": pair,
            "world_frame": result.motion.metadata.get("world_frame"),
            "process_seconds": round(time.time() - started, 1)}


def measure_live(video: Path, checkpoint: str | None) -> dict:
    settings = PipelineSettings(person="all", **({"checkpoint": checkpoint} if checkpoint else {}))
    session = Pipeline(settings).live(video, realtime=False)
    lifted = [len(update.poses) for update in session]
    summary = session.stats.summary()
    share = summary["lift_ms_median"] / summary["two_d_ms_median"] if summary["two_d_ms_median"] else None
    return {**summary, "people_lifted_per_frame_max": max(lifted, default=0),
            "frames_with_two_or_more": int(sum(n >= 2 for n in lifted)),
            "lift_share_of_2d": round(share, 3) if share is not None else None,
            "checkpoint": _relative(settings.resolved_checkpoint(live=True))}


def _relative(path: Path | None) -> str:
    """A path inside the repository as written from its root (the results do not name this machine's folders)."""
    root = Path(__file__).resolve().parents[1]
    return str(path.resolve().relative_to(root)) if path and path.resolve().is_relative_to(root) else str(path)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def markdown(report: dict) -> str:
    rows = "\n".join(
        f"| #{p['person_id']} | {p['first_frame']}-{p['last_frame']} | {p['frames_detected']} | "
        f"{100 * p['bone_cv_mean']:.1f} % | {100 * p['bone_cv_max']:.1f} % | "
        f"{100 * p['bone_cv_exported_mean']:.1f} % | {_percent(p['bone_cv_upright_mean'])} "
        f"({p['frames_upright']}) | {p['stature_m']:.2f} | {p['feet_level_m']:.2f} | "
        f"{p['bvh_round_trip_max_mm']:.3f} |" for p in report["people"])
    pair, live = report["pair"], report.get("live")
    lines = [
        "# Everyone in one scene: `process --person all` on the sports2d clip",
        "",
        f"Machine: {report['cpu']} ({report['cores']} cores, {report['device']}), {report['date_utc']}, "
        f"commit {report['git_commit']}, load {report['load_average_1_5_15']}. Lifter: {report['checkpoint']}.",
        "",
        "```bash",
        ".venv/bin/python benchmarks/multi_person_sports2d.py --save",
        "```",
        "",
        f"{report['video']}, {report['frames']} frames: {report['who']}.",
        "",
        "| person | frames | detected | bone CV mean (lifter) | bone CV max | bone CV mean (exported) "
        "| bone CV mean upright (frames) | stature m | feet above floor m | BVH round trip max mm |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        rows,
        "",
    ]
    alone = report.get("main_person_alone")
    if alone:
        lines += [f"#{alone['person_id']} followed alone (`--person main`, {alone['frames_detected']} frames "
                  f"detected): bone CV mean {100 * alone['bone_cv_mean']:.1f} %.", ""]
    if pair:
        lines += [f"Both detected in {pair['frames_both_detected']} frames: left-right order in the image kept "
                  f"in 3D in {100 * pair['image_order_agreement']:.0f} % of them; root-to-root distance "
                  f"{pair['distance_m_median']:.2f} m (median), #{pair['ids'][1]} "
                  f"{abs(pair['depth_difference_m_median']):.2f} m "
                  f"{'further from' if pair['depth_difference_m_median'] > 0 else 'nearer to'} the camera than "
                  f"#{pair['ids'][0]} (median).", ""]
    if live:
        lines += [f"Live (`person=all`, every frame, {live['checkpoint']}): 2D {live['two_d_ms_median']} ms, "
                  f"lift {live['lift_ms_median']} ms per frame (median; {live['frames_with_two_or_more']} frames "
                  f"lifted two people or more, one model call each): lifting everyone costs "
                  f"{100 * live['lift_share_of_2d']:.0f} % of the 2D stage's time.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=None, help="lifter (default: the shipped default model)")
    parser.add_argument("--video", type=Path, default=MEDIA / "sports2d_demo.mp4")
    parser.add_argument("--no-live", action="store_true", help="skip the live-mode measurement")
    parser.add_argument("--save", action="store_true",
                        help="write benchmarks/results/multi_person_sports2d.json and .md")
    args = parser.parse_args()
    report = {"benchmark": "multi_person_sports2d", "checkpoint": args.checkpoint or "default",
              **measure_people(args.video, args.checkpoint)}
    if not args.no_live:
        report["live"] = measure_live(args.video, args.checkpoint)
    report.update(machine_info())
    emit(report, RESULTS / "multi_person_sports2d.json" if args.save else None)
    if args.save:
        from pstmo.atomic import write_atomically

        text = markdown(report)
        write_atomically(RESULTS / "multi_person_sports2d.md", lambda file: file.write(text))


if __name__ == "__main__":
    main()
