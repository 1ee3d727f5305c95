"""MMPose top-down body models (RTMPose, HRNet, ...) as a detector, optional (`make mmpose`).

Person boxes come from an MMDetection model (RTMDet by default; MMPose's own "human" detector) or, in
whole-image mode (`det_config="none"`), the whole frame is one person box. Then the pose model runs on
each box and gives COCO-17 keypoints, converted to H36M-17 by `detectors.base.to_h36m`.

Models: `pose_config` is an MMPose 2D config file or a model-zoo name/alias ("human" = RTMPose-m, "rtmpose-l",
"td-hm_hrnet-w32_8xb64-210e_coco-256x192", ...); `pose_checkpoint` a local file or URL (a zoo alias brings
its own URL; downloads need a network and are cached by torch.hub). `pose_checkpoint="none"` keeps the
model's random initial weights (tests). Same for `det_config` / `det_checkpoint`.
Checkpoints are read with `torch.load(weights_only=True)` (numpy arrays in their metadata allowed).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from detectors.base import Detector, Person
from pstmo.errors import InputError

INSTALL_HINT = "install the MMPose backend with `make mmpose` (scripts/install_mmpose.sh, ~15 min)"
DEFAULT_POSE_MODEL = "human"
"""Model-zoo alias used when no pose config is given: RTMPose-m (body8, COCO-17); downloads when online."""
DEFAULT_PERSON_DETECTOR = "human"
"""MMPose's default person detector (RTMDet-m, person class)."""
NONE = ("none", "")


def _install_torchvision_stand_in() -> None:
    """mmpose imports `torchvision.transforms.ToPILImage` in a visualisation module at import time, and there
    is no CPU torchvision for every torch version. When torchvision is absent, register a stand-in module
    whose `ToPILImage` raises if it is ever used (inference never uses it)."""
    import importlib.machinery
    import importlib.util
    import sys
    import types

    if "torchvision" in sys.modules or importlib.util.find_spec("torchvision") is not None:
        return

    class ToPILImage:
        def __init__(self, *args, **kwargs) -> None:
            raise RuntimeError("torchvision is not installed (needed only for MMPose's SimCC visualisation)")

    package = types.ModuleType("torchvision")
    package.__spec__ = importlib.machinery.ModuleSpec("torchvision", None, is_package=True)
    package.__path__ = []
    package.__version__ = "0.0.0+stand-in"
    transforms = types.ModuleType("torchvision.transforms")
    transforms.__spec__ = importlib.machinery.ModuleSpec("torchvision.transforms", None)
    transforms.ToPILImage = ToPILImage
    package.transforms = transforms
    sys.modules["torchvision"] = package
    sys.modules["torchvision.transforms"] = transforms


def _require_mmpose():
    import warnings

    for module in ("mmengine", "mmcv", "mmdet", "mmpose"):  # deprecation chatter of the pinned stack
        warnings.filterwarnings("ignore", module=rf"{module}(\.|$)")
    try:
        _install_torchvision_stand_in()
        import mmcv  # noqa: F401
        import mmengine  # noqa: F401
        import mmpose  # noqa: F401
        from mmpose import apis
    except ImportError as error:
        raise InputError(f"mmpose detector: MMPose is not installed ({error}); {INSTALL_HINT}") from None
    return apis


def _is_none(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in NONE)


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def resolve_model(scope: str, config: str, checkpoint: str | None) -> tuple[str, str | None]:
    """(config file, checkpoint path/URL or None) for a config file or a model-zoo name/alias of `scope`
    ("mmpose" or "mmdet"). A checkpoint given explicitly wins over the zoo's URL."""
    if Path(config).expanduser().is_file():
        return str(Path(config).expanduser()), checkpoint
    if config.endswith(".py"):
        raise InputError(f"{config}: config file not found")
    if scope == "mmdet":
        from mmpose.apis.inferencers.utils.default_det_models import default_det_models

        if config in default_det_models:
            entry = default_det_models[config]
            if entry["weights"] is not None and Path(entry["model"]).is_file():
                return entry["model"], checkpoint if checkpoint is not None else entry["weights"]
    from mmengine.infer import BaseInferencer

    root = BaseInferencer._get_repo_or_mim_dir(scope)
    wanted = config.lower()
    for model in BaseInferencer._get_models_from_metafile(root):
        aliases = model.get("Alias", [])
        aliases = [aliases] if isinstance(aliases, str) else list(aliases)
        if wanted == model["Name"].lower() or wanted in (a.lower() for a in aliases):
            weights = model.get("Weights")
            weights = weights[0] if isinstance(weights, list) else weights
            return os.path.join(root, model["Config"]), checkpoint if checkpoint is not None else weights
    raise InputError(f"{config}: neither a config file nor a known {scope} model-zoo name or alias")


def load_checkpoint(path_or_url: str) -> dict:
    """A checkpoint dict read with `torch.load(weights_only=True)`; numpy arrays/dtypes in metadata allowed."""
    import torch

    if _is_url(path_or_url):
        from torch.hub import download_url_to_file, get_dir

        target = Path(get_dir()) / "checkpoints" / Path(path_or_url.split("?")[0]).name
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                download_url_to_file(path_or_url, str(target), progress=True)
            except Exception as error:  # noqa: BLE001 - offline, 404, ...
                raise InputError(f"{path_or_url}: could not download the checkpoint ({error}); pass a local file "
                                 "(--mmpose-checkpoint / --mmpose-det-checkpoint)") from None
        path_or_url = str(target)
    path = Path(path_or_url).expanduser()
    if not path.is_file():
        raise InputError(f"{path}: checkpoint file not found")
    safe = [np.dtype, np.ndarray, type(np.dtype(np.float32)), type(np.dtype(np.int64)),
            type(np.dtype(np.float64)), type(np.dtype(np.int32)), type(np.dtype(np.bool_))]
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    safe += [_reconstruct, scalar]
    try:
        with torch.serialization.safe_globals(safe):
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - corrupt file, unexpected pickled objects
        raise InputError(f"{path}: not a loadable checkpoint ({str(error).splitlines()[0]})") from None
    if not isinstance(checkpoint, dict):
        raise InputError(f"{path}: not a checkpoint (a {type(checkpoint).__name__}, expected a dict)")
    return checkpoint


def load_weights(model, checkpoint_path: str) -> dict:
    """Load a checkpoint's state dict into `model` (non-strict, missing keys logged); returns its metadata."""
    from mmengine.runner.checkpoint import load_state_dict

    checkpoint = load_checkpoint(checkpoint_path)
    state = checkpoint.get("state_dict", checkpoint)
    state = {k.removeprefix("module."): v for k, v in state.items()}
    load_state_dict(model, state, strict=False)
    return checkpoint.get("meta", {}) or {}


class MMPoseDetector(Detector):
    """Top-down MMPose body model (COCO-17) on person boxes from MMDetection, or on the whole frame.

    pose_config / pose_checkpoint: see the module docstring (default: the "human" zoo model, RTMPose-m).
    det_config / det_checkpoint: person detector ("human" = MMPose's RTMDet-m default; "none" = whole frame).
    device: torch device ("cpu", "cuda:0"). det_score: person boxes below this score are dropped.
    max_people: keep at most this many boxes (highest scores).
    """

    name = "mmpose"
    layout = "coco17"

    def __init__(self, pose_config: str | None = None, pose_checkpoint: str | None = None,
                 det_config: str | None = DEFAULT_PERSON_DETECTOR, det_checkpoint: str | None = None,
                 device: str = "cpu", det_score: float = 0.5, max_people: int = 10, det_class: int = 0) -> None:
        apis = _require_mmpose()
        self.device = device
        self.det_score = float(det_score)
        self.max_people = int(max_people)
        self.det_class = int(det_class)
        config, checkpoint = resolve_model("mmpose", pose_config or DEFAULT_POSE_MODEL, pose_checkpoint)
        self.pose_model = apis.init_model(config, None, device=device)
        if not _is_none(checkpoint):
            meta = load_weights(self.pose_model, checkpoint)
            if "dataset_meta" in meta:
                self.pose_model.dataset_meta = meta["dataset_meta"]
        joints = int(self.pose_model.dataset_meta.get("num_keypoints", 0))
        if joints != 17:
            raise InputError(f"{pose_config}: a COCO-17 body model is needed; this one has {joints} keypoints")
        self.pose_model.eval()
        self._inference_topdown = apis.inference_topdown
        self.det_model = None
        if not _is_none(det_config):
            try:
                from mmdet.apis import inference_detector, init_detector
            except ImportError as error:
                raise InputError(f"mmpose detector: MMDetection is missing ({error}); {INSTALL_HINT}") from None
            det_file, det_weights = resolve_model("mmdet", det_config, det_checkpoint)
            from mmpose.utils import adapt_mmdet_pipeline

            self.det_model = init_detector(det_file, None, device=device)
            # The detector's test pipeline must name its transforms "mmdet.X": inference_topdown leaves the
            # default registry scope at "mmpose", where they do not exist.
            self.det_model.cfg = adapt_mmdet_pipeline(self.det_model.cfg)
            if not _is_none(det_weights):
                load_weights(self.det_model, det_weights)
            self.det_model.eval()
            self._inference_detector = inference_detector

    def person_boxes(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """((N, 4) x1 y1 x2 y2 pixels, (N,) scores) of the people in the frame."""
        height, width = image_bgr.shape[:2]
        if self.det_model is None:
            return np.array([[0, 0, width, height]], dtype=np.float32), np.ones(1, dtype=np.float32)
        instances = self._inference_detector(self.det_model, image_bgr).pred_instances.cpu().numpy()
        keep = (instances.labels == self.det_class) & (instances.scores >= self.det_score)
        boxes, scores = instances.bboxes[keep].astype(np.float32), instances.scores[keep].astype(np.float32)
        order = np.argsort(-scores)[: self.max_people]
        boxes = np.clip(boxes[order], 0, [width, height, width, height])
        big_enough = (boxes[:, 2] - boxes[:, 0] >= 4) & (boxes[:, 3] - boxes[:, 1] >= 4)
        return boxes[big_enough], scores[order][big_enough]

    def detect(self, image_bgr: np.ndarray) -> list[Person]:
        image = np.asarray(image_bgr)
        if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 8:
            return []
        image = np.ascontiguousarray(image, dtype=np.uint8)
        boxes, box_scores = self.person_boxes(image)
        if len(boxes) == 0:
            return []
        people = []
        for box, box_score, sample in zip(boxes, box_scores,
                                          self._inference_topdown(self.pose_model, image, boxes, "xyxy"),
                                          strict=True):
            keypoints = np.asarray(sample.pred_instances.keypoints, dtype=np.float32)[0]
            scores = np.clip(np.asarray(sample.pred_instances.keypoint_scores, dtype=np.float32)[0], 0.0, 1.0)
            if not np.isfinite(keypoints).all():
                continue
            people.append(Person(keypoints, scores, box, self.layout, float(box_score)))
        return people

    def close(self) -> None:
        self.pose_model = None
        self.det_model = None
