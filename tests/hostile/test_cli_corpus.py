"""A corpus of broken and hostile files through the CLI: every case exits with 1, prints no traceback, and
says in one line which file is wrong (and, for damaged structures, which field); no pickled command runs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import detectors
from main import main
from tests.hostile import corpus
from tests.pipeline.helpers import ScriptedDetector, tiny_checkpoint

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return corpus.grey_video(tmp_path_factory.mktemp("video") / "walk.avi")


@pytest.fixture(autouse=True)
def scripted_backend(monkeypatch):
    """The detector never matters here: a scripted one keeps the cases fast."""
    monkeypatch.setattr(detectors, "create_detector", lambda name, **options: ScriptedDetector())


class Case:
    """argv for `main.py`, built in a fresh folder, and the file name (and words) the error must name."""

    def __init__(self, build: Callable[[Path, Path, Path], tuple[list[str], str]], *words: str) -> None:
        self.build, self.words = build, words


def _process(target: str, ckpt: Path, out: Path, *extra: str) -> list[str]:
    return ["process", target, "--out", str(out), "--checkpoint", str(ckpt), "--quiet", "--export", "json", *extra]


def _video_case(name: str, content: bytes | Callable[[Path], Path], *words: str) -> Case:
    def build(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
        path = tmp / name
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)
        return _process(str(path), ckpt, tmp / "out"), name

    return Case(build, *words)


def _image_folder(path: Path) -> Path:
    path.mkdir()
    (path / "0001.jpg").write_text("not a jpeg")
    (path / "0002.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    return path


def _header_only_video(path: Path) -> Path:
    corpus.grey_video(path)
    path.write_bytes(path.read_bytes()[:3000])
    return path


def _checkpoint_case(name: str, *words: str, header: dict | None = None,
                     weights: Callable[[Path], bytes] | bytes | None = None) -> Case:
    def build(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
        data = weights(ckpt) if callable(weights) else weights
        path = corpus.checkpoint_with(tmp / "models", ckpt, name, header=header, weights=data)
        return _process(str(video), path, tmp / "out"), name

    return Case(build, *words)


def _raw_checkpoint(name: str, text: str, *words: str) -> Case:
    def build(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
        path = tmp / name
        path.write_text(text)
        return _process(str(video), path, tmp / "out"), name

    return Case(build, *words)


def _linked_weights(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
    outside = tmp / "elsewhere"
    outside.mkdir()
    (outside / "secret.safetensors").write_bytes(ckpt.with_suffix(".safetensors").read_bytes())
    path = corpus.checkpoint_with(tmp / "models", ckpt, "linked")
    (tmp / "models" / "linked.safetensors").unlink()
    (tmp / "models" / "linked.safetensors").symlink_to(outside / "secret.safetensors")
    return _process(str(video), path, tmp / "out"), "linked.json"


def _out_case(make_out: Callable[[Path], Path], name: str, *words: str) -> Case:
    def build(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
        return _process(str(video), ckpt, make_out(tmp)), name

    return Case(build, *words)


def _a_file(tmp: Path) -> Path:
    path = tmp / "taken"
    path.write_text("a file, not a folder")
    return path


def _export_case(name: str, make: Callable[[Path], Path], *words: str, out: str = "out.bvh") -> Case:
    def build(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
        path = make(tmp / name)
        return ["export", str(path), "--out", str(tmp / out)], name

    return Case(build, *words)


def _train_case(name: str, make: Callable[[Path], Path], dataset: str, *words: str) -> Case:
    def build(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
        data = make(tmp / "data")
        return ["train", "finetune" if dataset != "tracks" else "pretrain", "--config",
                str(REPO / "configs" / "tiny.yaml"), f"data_dir={data}", f"dataset={dataset}", "pretrained=null",
                "tensorboard=false", "--out", str(tmp / "run"), "--quiet"], name

    return Case(build, *words)


def _tracks(files: dict[str, Callable[[Path], Path]]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        folder.mkdir(parents=True)
        for name, writer in files.items():
            writer(folder / name)
        return folder

    return make


def _bvh_folder(text: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        folder.mkdir(parents=True)
        corpus.bvh_file(folder / "broken.bvh", text)
        return folder

    return make


def _config_case(name: str, text: str, *words: str) -> Case:
    def build(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
        path = tmp / name
        path.write_text(text.replace("MARKER", str(tmp / corpus.MARKER)))
        return ["train", "finetune", "--config", str(path), "--out", str(tmp / "run"), "--quiet"], name

    return Case(build, *words)


def _evaluate_case(name: str, make: Callable[[Path], Path], *words: str) -> Case:
    def build(tmp: Path, ckpt: Path, video: Path) -> tuple[list[str], str]:
        return ["evaluate", "--checkpoint", str(ckpt), "--data", str(make(tmp / "data")), "--quiet"], name

    return Case(build, *words)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _plain_h36m(folder: Path) -> Path:
    """A harmless VideoPose3D-layout 3D file (so the camera file is what fails)."""
    folder.mkdir(parents=True)
    np.savez(folder / "data_3d_h36m.npz", positions_3d={"S9": {"Walking 1": np.zeros((20, 32, 3), np.float32)}})
    return folder


def _ragged_csv(path: Path) -> Path:
    from tracks.track_io import CSV_MAGIC, track_csv_header

    path.write_text(f"{CSV_MAGIC} image_size=640x480 fps=30\n" + ",".join(track_csv_header()) + "\n0,0.0,1,2\n")
    return path


CASES: dict[str, Case] = {
    # videos, images, image folders
    "zero-byte video": _video_case("empty.mp4", b"", "empty"),
    "text named .mp4": _video_case("notes.mp4", b"this is not a video\n" * 30, "not a readable video"),
    "random bytes .mp4": _video_case("noise.mp4", np.random.default_rng(0).bytes(50_000), "video"),
    "video cut inside its header": _video_case("header.avi", _header_only_video, "video"),
    "broken png": _video_case("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a readable image"),
    "folder of undecodable images": _video_case("frames", _image_folder, "could be decoded"),
    # checkpoints
    "checkpoint JSON that is not JSON": _raw_checkpoint("garbage.json", "{not json", "corrupt"),
    "checkpoint JSON nested 100000 deep": _raw_checkpoint("deep.json", "[" * 100_000, "corrupt"),
    "weights path escaping the folder": _checkpoint_case("escape", "weights",
                                                         header={"weights": "../../outside.safetensors"}),
    "weights given as an absolute path": _checkpoint_case("absolute", "weights", header={"weights": "/etc/passwd"}),
    "weights linked to another folder": Case(_linked_weights, "outside"),
    "absurd architecture size": _checkpoint_case("huge", "config.channel", header={
        "config": {"frames": 9, "layers": 2, "channel": 1_000_000, "d_hid": 64}}),
    "architecture given as text": _checkpoint_case("text", "config.frames", header={
        "config": {"frames": "9", "layers": 2, "channel": 32, "d_hid": 64}}),
    "NaN weights": _checkpoint_case("nan", "NaN or infinite", weights=lambda c: corpus.weights_filled(c, np.nan)),
    "infinite weights": _checkpoint_case("inf", "NaN or infinite", weights=lambda c: corpus.weights_filled(c, np.inf)),
    "truncated weights": _checkpoint_case("cut", "corrupt",
                                          weights=lambda c: c.with_suffix(".safetensors").read_bytes()[:500]),
    "weights header claiming a terabyte": _checkpoint_case("lying", "corrupt", weights=corpus.lying_safetensors()),
    "checkpoint metadata that is not an object": _checkpoint_case("meta", "metadata", header={"metadata": [1, 2]}),
    "checkpoint of an unknown stage": _checkpoint_case("stage", "stage", header={"stage": 3}),
    # output folders
    "--out is a file": _out_case(_a_file, "taken", "a file is in the way"),
    "--out below a file": _out_case(lambda tmp: _a_file(tmp) / "sub", "taken", "a file"),
    # result files
    "result JSON with ragged joints": _export_case("ragged.json", lambda p: corpus.result_json(
        p, joints=[[[0, 0, 0]] * 17, [[0, 0]] * 17]), "'joints'"),
    "result JSON with text joints": _export_case("words.json", lambda p: corpus.result_json(
        p, joints=[[["a", "b", "c"]] * 17] * 2), "'joints'"),
    "result JSON with 16 joints": _export_case("short.json", lambda p: corpus.result_json(
        p, joints=np.zeros((3, 16, 3)).tolist()), "'joints'"),
    "result JSON with fps as text": _export_case("fps.json", lambda p: corpus.result_json(p, fps="fast"), "'fps'"),
    "result JSON with an unknown frame": _export_case("frame.json", lambda p: corpus.result_json(p, frame="up"),
                                                      "'frame'"),
    "result JSON with a list as metadata": _export_case("meta.json", lambda p: corpus.result_json(p, metadata=[1]),
                                                        "'metadata'"),
    "result JSON with a confidence of the wrong length": _export_case("conf.json", lambda p: corpus.result_json(
        p, confidence=np.ones((2, 17)).tolist()), "'confidence'"),
    "result JSON with a broken track": _export_case("track.json", lambda p: corpus.result_json(
        p, track={"image_size": "big", "fps": 30, "keypoints": np.zeros((4, 17, 2)).tolist(),
                  "confidence": np.ones((4, 17)).tolist()}), "'track.image_size'"),
    "result JSON that is a list": _export_case("list.json", lambda p: p.write_text("[1, 2]") and p, "pstmo-motion"),
    "result NPZ with a header that is not JSON": _export_case("header.npz", lambda p: corpus.result_npz(
        p, header="{oops"), "header"),
    "result NPZ with a header that is a list": _export_case("list.npz", lambda p: corpus.result_npz(
        p, header="[1, 2]"), "'header'"),
    "result NPZ with a pickled member": _export_case("pickle.npz", lambda p: corpus.result_npz(
        p, joints=corpus.hostile_object(p.parent)), "pickle"),
    "result NPZ with joints of the wrong shape": _export_case("shape.npz", lambda p: corpus.result_npz(
        p, joints=np.zeros((4, 3))), "'joints'"),
    "truncated result NPZ": _export_case("cut.npz", lambda p: p.write_bytes(
        corpus.result_npz(p).read_bytes()[:100]) and p, "npz"),
    "export --out into a file": Case(lambda tmp, ckpt, video: (
        ["export", str(corpus.result_json(tmp / "fine.json")), "--out", str(_a_file(tmp) / "motion.csv")], "taken"),
        "not a folder"),
    # training and evaluation data
    "H36M archive with a shell command in its pickle": _train_case(
        "data_3d_h36m.npz", corpus.hostile_h36m_folder, "h36m", "refused", "system"),
    "3DHP archive with a shell command in its pickle": _train_case(
        "data_train_3dhp.npz", corpus.hostile_3dhp_folder, "3dhp", "refused"),
    "track JSON with ragged keypoints": _train_case("ragged.json", _tracks({"ragged.json": lambda p: corpus.detect_json(
        p, keypoints=[[[1, 2]] * 17, [[1]] * 17])}), "tracks", "'keypoints'"),
    "track JSON with a text fps": _train_case("fps.json", _tracks({"fps.json": lambda p: corpus.detect_json(
        p, fps="x")}), "tracks", "'fps'"),
    "track JSON with joints as a number": _train_case("joints.json", _tracks({
        "joints.json": lambda p: corpus.detect_json(p, joints=5)}), "tracks", "'joints'"),
    "track CSV with a short row": _train_case("short.csv", _tracks({"short.csv": _ragged_csv}), "tracks", "line 3"),
    "track NPZ with a pickled member": _train_case("evil.npz", _tracks({"evil.npz": lambda p: corpus.result_npz(
        p, joints=corpus.hostile_object(p.parent))}), "tracks", "pickle"),
    "BVH that is not BVH": _train_case("broken.bvh", _bvh_folder("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0\n"), "bvh"),
    "YAML config that asks for os.system": _config_case(
        "evil.yaml", "epochs: !!python/object/apply:os.system ['echo pwned > MARKER']\n", "YAML"),
    "YAML config that is a list": _config_case("list.yaml", "- 1\n- 2\n", "mapping"),
    "YAML config nested 100000 deep": _config_case("deep.yaml", "[" * 100_000, "YAML"),
    "camera JSON nested 100000 deep": Case(lambda tmp, ckpt, video: (
        ["evaluate", "--checkpoint", str(ckpt), "--data", str(_plain_h36m(tmp / "data")),
         "--cameras", str(_write(tmp / "cams.json", "[" * 100_000)), "--quiet"], "cams.json"), "camera"),
    "evaluation on a hostile H36M archive": _evaluate_case("data_3d_h36m.npz", corpus.hostile_h36m_folder, "refused"),
    "evaluation on a hostile 3DHP archive": _evaluate_case("data_test_3dhp.npz", corpus.hostile_3dhp_folder,
                                                           "refused"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_or_broken_file_is_one_line_naming_it(name, tmp_path, capfd, checkpoint, video):
    case = CASES[name]
    argv, filename = case.build(tmp_path, checkpoint, video)
    code = main(argv)
    err = capfd.readouterr().err  # file descriptors: native libraries' chatter would show here too
    assert code == 1, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    line = lines[0]
    assert filename in line, line
    assert "[Errno" not in line, line
    for word in case.words:
        assert word in line, line
    assert not (tmp_path / corpus.MARKER).exists(), "a pickled command ran"
    assert not any(tmp_path.rglob(corpus.MARKER)), "a pickled command ran"


def test_the_corpus_pickles_are_real_numpy_would_run_them(tmp_path):
    """Control: NumPy's own loader with allow_pickle=True runs the crafted archive's command."""
    import subprocess
    import sys

    folder = corpus.hostile_h36m_folder(tmp_path / "data")
    code = f"import numpy; numpy.load({str(folder / 'data_3d_h36m.npz')!r}, allow_pickle=True)['positions_3d']"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert (folder / corpus.MARKER).read_text().strip() == "pwned"


def test_the_hostile_archive_is_refused_by_a_real_main_py_process(tmp_path, checkpoint):
    """End to end in a fresh interpreter: exit code 1, one line naming the archive, no command run."""
    import subprocess
    import sys

    folder = corpus.hostile_h36m_folder(tmp_path / "data")
    done = subprocess.run([sys.executable, str(REPO / "main.py"), "evaluate", "--checkpoint", str(checkpoint),
                           "--data", str(folder), "--quiet"], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)})
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "data_3d_h36m.npz" in lines[0] and "refused" in lines[0], done.stderr
    assert not (folder / corpus.MARKER).exists()


def test_a_result_file_is_still_read_after_all_these_checks(tmp_path, capsys):
    path = corpus.result_json(tmp_path / "good.json", confidence=np.ones((4, 17)).tolist(),
                              contacts=[[True, False]] * 4)
    assert main(["export", str(path), "--out", str(tmp_path / "good.csv")]) == 0
    assert json.loads(path.read_text())["fps"] == 30.0 and (tmp_path / "good.csv").is_file()
