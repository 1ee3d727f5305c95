"""2D tracks: `Track2D` (the tracker's output, the lifter's input) and the files that hold one (no Qt).

`tracks.track.Track2D`; `tracks.track_io` reads and writes track CSVs and reads a track out of a `detect`
JSON or a `process` result file (`tracks.result_record`, the container that `motion.result` also uses).
This package sits below `detectors` and `motion` and imports only `pstmo`.
"""
