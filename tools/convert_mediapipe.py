#!/usr/bin/env python3
"""Convert MediaPipe's face models (TFLite flatbuffers) to safetensors + a graph description.

Run by hand, never at build time:

    python3 -m venv /tmp/cvt && /tmp/cvt/bin/pip install tflite==2.18.0 numpy safetensors
    pip download --no-deps --only-binary=:all: mediapipe==0.10.14 -d /tmp/mp
    /tmp/cvt/bin/python tools/convert_mediapipe.py /tmp/mp/mediapipe-0.10.14-*.whl assets/models

For each model it writes `NAME.safetensors` (every constant tensor, keyed `t<index>`, in its
stored dtype: float16 weights stay float16, so nothing is rounded) and `NAME.graph.json`: the
tensors (shape, dtype, name), the operators in execution order with their options read from the
flatbuffer, the graph's inputs and outputs, and where the model came from (wheel, path,
SHA-256). DEQUANTIZE operators that only widen a float16 constant are folded away: the
constant is stored under the DEQUANTIZE output's index, and a flag says it is float16 in the
file. The Rust side (crates/provatar-face) executes exactly these operators.
"""

import hashlib
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import tflite
from safetensors.numpy import save_file
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType

MODELS = {
    "face_detection_short_range": "mediapipe/modules/face_detection/face_detection_short_range.tflite",
    "face_landmark": "mediapipe/modules/face_landmark/face_landmark.tflite",
    "iris_landmark": "mediapipe/modules/iris_landmark/iris_landmark.tflite",
    "selfie_segmentation": "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
}
EXTRA_FILES = {
    "face_mesh_connections.py": "mediapipe/python/solutions/face_mesh_connections.py",
}

OP_NAMES = {v: k for k, v in BuiltinOperator.__dict__.items() if not k.startswith("_")}
TYPE_NAMES = {v: k for k, v in TensorType.__dict__.items() if not k.startswith("_")}
NUMPY_TYPES = {"FLOAT32": np.float32, "FLOAT16": np.float16, "INT32": np.int32, "INT64": np.int64, "UINT8": np.uint8, "INT8": np.int8}
PADDING = {0: "SAME", 1: "VALID"}
ACTIVATION = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


def options(op, name):
    """The operator's options, read from its flatbuffer table."""
    t = op.BuiltinOptions()
    kind = op.BuiltinOptionsType()
    if t is None or kind == BuiltinOptions.NONE:
        return {}
    if name == "CONV_2D":
        o = tflite.Conv2DOptions(); o.Init(t.Bytes, t.Pos)
        return {"padding": PADDING[o.Padding()], "stride": [o.StrideH(), o.StrideW()],
                "dilation": [o.DilationHFactor(), o.DilationWFactor()],
                "activation": ACTIVATION[o.FusedActivationFunction()]}
    if name == "DEPTHWISE_CONV_2D":
        o = tflite.DepthwiseConv2DOptions(); o.Init(t.Bytes, t.Pos)
        return {"padding": PADDING[o.Padding()], "stride": [o.StrideH(), o.StrideW()],
                "dilation": [o.DilationHFactor(), o.DilationWFactor()],
                "depth_multiplier": o.DepthMultiplier(),
                "activation": ACTIVATION[o.FusedActivationFunction()]}
    if name in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        o = tflite.Pool2DOptions(); o.Init(t.Bytes, t.Pos)
        return {"padding": PADDING[o.Padding()], "stride": [o.StrideH(), o.StrideW()],
                "filter": [o.FilterHeight(), o.FilterWidth()],
                "activation": ACTIVATION[o.FusedActivationFunction()]}
    if name == "ADD":
        o = tflite.AddOptions(); o.Init(t.Bytes, t.Pos)
        return {"activation": ACTIVATION[o.FusedActivationFunction()]}
    if name == "MUL":
        o = tflite.MulOptions(); o.Init(t.Bytes, t.Pos)
        return {"activation": ACTIVATION[o.FusedActivationFunction()]}
    if name == "CONCATENATION":
        o = tflite.ConcatenationOptions(); o.Init(t.Bytes, t.Pos)
        return {"axis": o.Axis(), "activation": ACTIVATION[o.FusedActivationFunction()]}
    if name == "RESHAPE":
        o = tflite.ReshapeOptions(); o.Init(t.Bytes, t.Pos)
        return {"new_shape": o.NewShapeAsNumpy().tolist() if o.NewShapeLength() else None}
    if name == "RESIZE_BILINEAR":
        o = tflite.ResizeBilinearOptions(); o.Init(t.Bytes, t.Pos)
        return {"align_corners": bool(o.AlignCorners()), "half_pixel_centers": bool(o.HalfPixelCenters())}
    raise SystemExit(f"options of {name} are not handled: extend convert_mediapipe.py")


def convert(name, data, source, out_dir):
    model = tflite.Model.GetRootAsModel(data, 0)
    if model.SubgraphsLength() != 1:
        raise SystemExit(f"{name}: expected one subgraph")
    g = model.Subgraphs(0)

    def array(index):
        t = g.Tensors(index)
        b = model.Buffers(t.Buffer())
        if b.DataLength() == 0:
            return None
        dtype = NUMPY_TYPES[TYPE_NAMES[t.Type()]]
        return np.frombuffer(b.DataAsNumpy().tobytes(), dtype=dtype).reshape(t.ShapeAsNumpy() if t.ShapeLength() else ())

    tensors = []
    weights = {}
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        tensors.append({"index": i, "name": t.Name().decode(), "shape": t.ShapeAsNumpy().tolist() if t.ShapeLength() else [],
                        "dtype": TYPE_NAMES[t.Type()]})
        a = array(i)
        if a is not None:
            weights[f"t{i}"] = np.ascontiguousarray(a)
            tensors[-1]["constant"] = True

    ops = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        op_name = OP_NAMES[builtin]
        inputs = op.InputsAsNumpy().tolist()
        outputs = op.OutputsAsNumpy().tolist()
        if op_name == "DEQUANTIZE":
            src, dst = inputs[0], outputs[0]
            if f"t{src}" not in weights or tensors[src]["dtype"] != "FLOAT16":
                raise SystemExit(f"{name}: DEQUANTIZE of a non-constant or non-float16 tensor")
            weights[f"t{dst}"] = weights.pop(f"t{src}")
            tensors[dst]["constant"] = True
            tensors[dst]["stored_as"] = "FLOAT16"
            continue
        entry = {"op": op_name, "inputs": inputs, "outputs": outputs}
        if op_name == "CUSTOM":
            entry["custom"] = code.CustomCode().decode()
            entry["custom_options"] = op.CustomOptionsAsNumpy().tolist() if op.CustomOptionsLength() else []
        else:
            entry["options"] = options(op, op_name)
        ops.append(entry)

    graph = {
        "model": name,
        "source": source,
        "inputs": g.InputsAsNumpy().tolist(),
        "outputs": g.OutputsAsNumpy().tolist(),
        "tensors": tensors,
        "ops": ops,
    }
    save_file(weights, str(out_dir / f"{name}.safetensors"), metadata={"source": json.dumps(source)})
    (out_dir / f"{name}.graph.json").write_text(json.dumps(graph, indent=1) + "\n")
    counts = {}
    for o in ops:
        counts[o["op"]] = counts.get(o["op"], 0) + 1
    print(f"{name}: {len(ops)} ops {counts}, {len(weights)} constants", file=sys.stderr)


def main():
    wheel_path, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel_bytes = wheel_path.read_bytes()
    wheel_sha = hashlib.sha256(wheel_bytes).hexdigest()
    manifest = {"wheel": wheel_path.name, "wheel_sha256": wheel_sha, "files": {}}
    with zipfile.ZipFile(wheel_path) as z:
        for name, member in MODELS.items():
            data = z.read(member)
            source = {"wheel": wheel_path.name, "wheel_sha256": wheel_sha, "path": member,
                      "sha256": hashlib.sha256(data).hexdigest()}
            convert(name, data, source, out_dir)
            manifest["files"][member] = source["sha256"]
        for out_name, member in EXTRA_FILES.items():
            data = z.read(member)
            (out_dir / out_name).write_bytes(data)
            manifest["files"][member] = hashlib.sha256(data).hexdigest()
    for f in sorted(out_dir.glob("*.safetensors")):
        manifest["files"][f"assets/models/{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()
    (out_dir / "SOURCES.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
