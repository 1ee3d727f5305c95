"""The MMPose backend end to end with real MMPose/MMDetection configs and random weights (no downloads).

Skipped when the optional stack is not installed (`make mmpose`).
"""

from __future__ import annotations

import numpy as np
import pytest

from pstmo.errors import InputError

mmpose = pytest.importorskip("mmpose", reason="MMPose backend not installed (run `make mmpose`)",
                             exc_type=ImportError)
pytest.importorskip("mmcv.ops", reason="mmcv was built without its C++ ops (run `make mmpose`)",
                    exc_type=ImportError)

from detectors import create_detector, detect_video  # noqa: E402
from detectors.mmpose_backend import load_checkpoint, resolve_model  # noqa: E402
from pipeline.sources import FakeSource  # noqa: E402

POSE_CONFIG = "rtmpose-t_8xb256-420e_coco-256x192"  # a model-zoo name: resolved to the packaged config
PERSON_DETECTOR = "rtmdet_nano_320-8xb32_coco-person.py"


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One intra-op thread: on a busy 2-core CI machine two threads are many times slower."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def whole_image_detector():
    import torch

    torch.manual_seed(0)
    with create_detector("mmpose", pose_config=POSE_CONFIG, pose_checkpoint="none", det_config="none") as detector:
        yield detector


def _frame(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (240, 320, 3), dtype=np.uint8)


def test_a_zoo_name_resolves_to_the_packaged_config_and_its_weights_url():
    config, weights = resolve_model("mmpose", POSE_CONFIG, None)
    assert config.endswith("rtmpose-t_8xb256-420e_coco-256x192.py")
    assert weights.startswith("https://")


def test_whole_image_mode_gives_one_coco17_person_in_the_frame(whole_image_detector):
    (person,) = whole_image_detector.detect(_frame())
    assert person.layout == "coco17" and person.keypoints.shape == (17, 2) and person.scores.shape == (17,)
    assert person.box.tolist() == [0, 0, 320, 240]
    assert ((person.scores >= 0) & (person.scores <= 1)).all()
    assert np.isfinite(person.keypoints).all()
    assert (person.keypoints[:, 0] > -320).all() and (person.keypoints[:, 0] < 640).all()


def test_detect_video_runs_with_the_mmpose_backend(whole_image_detector):
    result = detect_video(FakeSource([_frame(i) for i in range(3)], fps=10), whole_image_detector)
    assert result.frames_read == 3 and result.track.keypoints.shape == (3, 17, 2)
    assert result.track.detector == "mmpose"


def test_rtmdet_person_detector_with_random_weights_runs_end_to_end():
    from pathlib import Path

    import mmpose as package

    det_config = Path(package.__file__).parent / ".mim" / "demo" / "mmdetection_cfg" / PERSON_DETECTOR
    with create_detector("mmpose", pose_config=POSE_CONFIG, pose_checkpoint="none", det_config=str(det_config),
                         det_checkpoint="none", det_score=0.0, max_people=3) as detector:
        frames = [detector.detect(_frame(seed)) for seed in (1, 2)]  # the second after a pose inference
    for people in frames:
        assert len(people) <= 3
        for person in people:
            assert person.keypoints.shape == (17, 2) and person.box.shape == (4,)


def test_checkpoints_are_read_with_weights_only_and_numpy_metadata_is_allowed(tmp_path, whole_image_detector):
    import torch

    from detectors.mmpose_backend import load_weights

    state = {k: torch.zeros_like(v) for k, v in whole_image_detector.pose_model.state_dict().items()}
    path = tmp_path / "ckpt.pth"
    torch.save({"state_dict": state, "meta": {"seed": np.int64(3), "array": np.arange(3)}}, path)
    assert set(load_checkpoint(str(path))["state_dict"]) == set(state)
    load_weights(whole_image_detector.pose_model, str(path))
    assert all(float(v.abs().sum()) == 0 for v in whole_image_detector.pose_model.state_dict().values()
               if v.dtype.is_floating_point)


class Payload:
    """Stands for an arbitrary pickled object (code could run when unpickling it)."""


def test_a_checkpoint_with_arbitrary_pickled_objects_is_refused(tmp_path):
    import torch

    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "meta": Payload()}, path)
    with pytest.raises(InputError, match="not a loadable checkpoint"):
        load_checkpoint(str(path))


def test_a_non_body_model_is_refused():
    with pytest.raises(InputError, match="COCO-17 body model"):
        create_detector("mmpose", pose_config="rtmpose-m_8xb64-270e_coco-wholebody-256x192",
                        pose_checkpoint="none", det_config="none")
