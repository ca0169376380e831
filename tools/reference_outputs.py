#!/usr/bin/env python3
"""Reference outputs of MediaPipe's face models from the TFLite interpreter, for the parity
tests of crates/provatar-face. Run by hand once (the fixtures are committed):

    /tmp/cvt/bin/pip install ai-edge-litert==2.3.0 pillow numpy safetensors
    /tmp/cvt/bin/python tools/reference_outputs.py /tmp/mp/x assets/sample/portrait-astronaut.png \
        crates/provatar-face/tests/fixtures

`/tmp/mp/x` is the unpacked mediapipe==0.10.14 wheel (see convert_mediapipe.py). For each model
the fixture holds the exact input the interpreter saw, as 8-bit pixels (`input_u8`, NHWC) plus
the affine map to floats (`scale`, `offset` in the metadata: x = u8 * scale + offset), and
every output tensor under its graph index (`out<index>`), float32.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from PIL import Image
from safetensors.numpy import save_file

# name → (model path in the wheel, crop box (left, top, right, bottom) in the portrait, input
# side, scale, offset). The crops frame the face, one eye, and the whole picture the way the
# pipeline will: they only need to be realistic, since the test feeds the same pixels to both.
CASES = {
    "face_detection_short_range": ("mediapipe/modules/face_detection/face_detection_short_range.tflite", (0, 0, 512, 512), 128, 2 / 255, -1.0),
    "face_landmark": ("mediapipe/modules/face_landmark/face_landmark.tflite", (125, 25, 325, 225), 192, 1 / 255, 0.0),
    "iris_landmark": ("mediapipe/modules/iris_landmark/iris_landmark.tflite", (172, 82, 228, 138), 64, 1 / 255, 0.0),
    "selfie_segmentation": ("mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite", (0, 0, 512, 512), 256, 1 / 255, 0.0),
}


def main():
    wheel_dir, portrait, out_dir = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    out_dir.mkdir(parents=True, exist_ok=True)
    image = Image.open(portrait).convert("RGB")
    for name, (member, box, side, scale, offset) in CASES.items():
        model = (wheel_dir / member).read_bytes()
        pixels = np.asarray(image.crop(box).resize((side, side), Image.BILINEAR), dtype=np.uint8)[None]
        x = pixels.astype(np.float32) * np.float32(scale) + np.float32(offset)
        interp = Interpreter(model_content=model)
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
        tensors = {"input_u8": np.ascontiguousarray(pixels)}
        for d in interp.get_output_details():
            tensors[f"out{d['index']}"] = np.ascontiguousarray(interp.get_tensor(d["index"]).astype(np.float32))
        meta = {"model_sha256": hashlib.sha256(model).hexdigest(), "scale": repr(scale), "offset": repr(offset),
                "crop": json.dumps(box), "interpreter": "ai-edge-litert 2.3.0"}
        save_file(tensors, str(out_dir / f"{name}.reference.safetensors"), metadata=meta)
        print(name, {k: v.shape for k, v in tensors.items()}, file=sys.stderr)


if __name__ == "__main__":
    main()
