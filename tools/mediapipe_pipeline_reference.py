#!/usr/bin/env python3
"""What MediaPipe's own pipeline finds on the sample portraits, for the end-to-end tests of
crates/provatar-face (detector decoding, crop geometry, landmark projection) and for
tools/face_topology.py. Run by hand once; the output is committed:

    python3 -m venv /tmp/mpv
    /tmp/mpv/bin/pip install /tmp/mp/mediapipe-0.10.14-cp311-*.whl pillow
    /tmp/mpv/bin/python tools/mediapipe_pipeline_reference.py \
        crates/provatar-face/tests/fixtures/mediapipe_pipeline.json \
        assets/sample/portrait-astronaut.png ../shared/data/portrait-mona-lisa.jpg \
        ../shared/data/portrait-pearl-earring.jpg

It runs the legacy `mp.solutions` API of the mediapipe==0.10.14 wheel, fully offline:
FaceDetection (short range, min confidence 0.5) and FaceMesh (static images, refine_landmarks
off, so the landmarks come from face_landmark.tflite, the model we convert). Landmarks are
written in image pixels; z is MediaPipe's relative depth scaled by the image width, as its
documentation defines it.
"""

import hashlib
import json
import sys
from pathlib import Path

import mediapipe as mp
import numpy as np
from PIL import Image


def main():
    out = Path(sys.argv[1])
    result = {"mediapipe": mp.__version__, "images": {}}
    for path in map(Path, sys.argv[2:]):
        data = path.read_bytes()
        rgb = np.asarray(Image.open(path).convert("RGB"))
        h, w = rgb.shape[:2]
        entry = {"sha256": hashlib.sha256(data).hexdigest(), "size": [w, h], "detections": [], "meshes": []}
        with mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5) as fd:
            for d in fd.process(rgb).detections or []:
                bb = d.location_data.relative_bounding_box
                entry["detections"].append({
                    "score": round(float(d.score[0]), 6),
                    "box": [round(v, 3) for v in (bb.xmin * w, bb.ymin * h, bb.width * w, bb.height * h)],
                    "keypoints": [[round(k.x * w, 3), round(k.y * h, 3)] for k in d.location_data.relative_keypoints],
                })
        with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=False, max_num_faces=2) as fm:
            for face in fm.process(rgb).multi_face_landmarks or []:
                entry["meshes"].append([[round(p.x * w, 3), round(p.y * h, 3), round(p.z * w, 3)] for p in face.landmark])
        result["images"][path.name] = entry
        print(path.name, len(entry["detections"]), "detections", len(entry["meshes"]), "meshes", file=sys.stderr)
    out.write_text(json.dumps(result, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
