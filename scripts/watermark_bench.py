#!/usr/bin/env python3
"""Watermark robustness benchmark: provatar's mark against the `invisible-watermark` peer.

Run through `scripts/watermark-bench` (it builds the Rust bridge and the Python environment).

Clips: 512x512, 25 fps, made from the portraits by a slow zoom and pan (a moving picture, so
H.264 has motion to code; `--clips zoom`, the default), or talking heads rendered by provatar
from the portraits (`--clips avatar`: a still background and a moving head, what provatar
publishes). Each clip is marked three ways — provatar (public key, a random
64-bit content id, frame index per frame), invisible-watermark `dwtDct` and `dwtDctSvd` (the
same 64 bits in every frame) — then attacked; each attacked clip is decoded per frame and per
video. Attacks on whole videos go through Debian's ffmpeg (libx264 at its default preset, scale,
crop, pad filters); per-frame ones (JPEG, brightness, contrast, flip) through OpenCV/numpy.

The peer has no synchronisation, so it is given the attacked frames resized back to 512x512
(and the letterbox cut away): a generous setting. provatar's detector gets the attacked frames
as they are.

Also: false positives (unmarked clips — the portraits, ffmpeg test sources and noise — and a
clip marked with another key, each plain and after CRF 28, must all read "not detected"), image
quality (PSNR and SSIM of each method against the unmarked frames), and speed.
"""

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

SIZE = 512
FPS = 25


def load_peer():
    """Loads the peer's two embedders straight from their module files.

    The package's __init__ also imports its RivaGAN method, which needs torch; dwtDct and
    dwtDctSvd do not, so we skip the package __init__ rather than install torch.
    """
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("watermark-bench: the invisible-watermark package is missing")
    base = list(spec.submodule_search_locations)[0]
    mods = {}
    for name in ("maxDct", "dwtDctSvd"):
        s = importlib.util.spec_from_file_location(f"_peer_{name}", os.path.join(base, f"{name}.py"))
        m = importlib.util.module_from_spec(s)
        s.loader.exec_module(m)
        mods[name] = m
    return {
        "dwtDct": lambda bits: mods["maxDct"].EmbedMaxDct(bits, wmLen=len(bits)),
        "dwtDctSvd": lambda bits: mods["dwtDctSvd"].EmbedDwtDctSvd(bits, wmLen=len(bits)),
    }


# ---------------------------------------------------------------------------------------------
# Clips


def portrait_clip(path, frames, seed):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f"watermark-bench: cannot read {path}")
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    side = min(h, w)
    rng = random.Random(seed)
    dx, dy = rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04)
    out = []
    for i in range(frames):
        t = i / max(frames - 1, 1)
        zoom = 1.0 + 0.08 * t
        s = SIZE / side * zoom
        cx = w / 2 + dx * side * t
        cy = h / 2.2 + dy * side * t
        m = np.array([[s, 0, SIZE / 2 - s * cx], [0, s, SIZE / 2 - s * cy]], dtype=np.float64)
        out.append(cv2.warpAffine(img, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    return out


def avatar_clip(path, frames, seed, renderer, cli, tmp):
    """A talking head rendered by provatar (unmarked: the benchmark marks it), through the gate.

    The consent credential for the portrait is issued with the development issuer key, for the
    sample license's licensee, as a consent service would."""
    stem = os.path.splitext(os.path.basename(path))[0]
    consent = os.path.join(tmp, f"{stem}-consent.json")
    subprocess.run([cli, "consent", "issue", "--issuer-key", "keys/dev/consent-issuer.key", "--portrait", path,
                    "--subject", f"bench-{stem}", "--licensee", "provatar-demo",
                    "--expires", "2036-01-01T00:00:00Z", "--out", consent], check=True, capture_output=True)
    audio = "../shared/data/speech-long.wav"
    if not os.path.exists(audio):
        audio = "assets/sample/speech-hello.wav"
    raw = subprocess.run([renderer, path, consent, audio, str(frames), str(seed + 7)], check=True,
                         capture_output=True).stdout
    arr = np.frombuffer(raw, np.uint8).reshape(-1, SIZE, SIZE, 3)
    return [f.copy() for f in arr]


def lavfi_clip(source, frames):
    cmd = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"{source}", "-frames:v", str(frames),
           "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    arr = np.frombuffer(raw, np.uint8).reshape(-1, SIZE, SIZE, 3)
    return [f.copy() for f in arr]


def noise_clip(frames, seed):
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.uniform(0, 255, (SIZE, SIZE, 3)).astype(np.float32), (0, 0), 2.0)
    return [np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8) for _ in range(frames)]


# ---------------------------------------------------------------------------------------------
# ffmpeg plumbing


def ffmpeg_filter(frames, vf=None, crf=None):
    """Pipes frames through ffmpeg: optional filter graph, optional H.264 round trip."""
    h, w = frames[0].shape[:2]
    raw_in = b"".join(f.tobytes() for f in frames)
    src = ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", str(FPS), "-i", "-"]
    if crf is None:
        cmd = src + (["-vf", vf] if vf else []) + ["-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
        out = subprocess.run(cmd, input=raw_in, check=True, capture_output=True).stdout
    else:
        with tempfile.TemporaryDirectory() as tmp:
            mp4 = os.path.join(tmp, "a.mp4")
            cmd = src + (["-vf", vf] if vf else []) + ["-c:v", "libx264", "-crf", str(crf),
                                                       "-pix_fmt", "yuv420p", mp4]
            subprocess.run(cmd, input=raw_in, check=True, capture_output=True)
            out = subprocess.run(["ffmpeg", "-v", "error", "-i", mp4, "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
                                 check=True, capture_output=True).stdout
            probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                    "stream=width,height", "-of", "csv=p=0", mp4],
                                   check=True, capture_output=True, text=True).stdout.strip()
            w, h = (int(v) for v in probe.split(","))
            arr = np.frombuffer(out, np.uint8).reshape(-1, h, w, 3)
            return [f.copy() for f in arr]
    # Output size of a filter: ask ffmpeg for one frame's size via the byte count.
    n = len(frames)
    pixels = len(out) // (3 * n)
    return reshape_unknown(out, n, pixels, vf)


def reshape_unknown(out, n, pixels, vf):
    for w, h in ((256, 256), (640, 360), (512, 512), (360, 640)):
        if w * h == pixels:
            arr = np.frombuffer(out, np.uint8).reshape(n, h, w, 3)
            return [f.copy() for f in arr]
    sys.exit(f"watermark-bench: unexpected output size from filter {vf!r}")


def jpeg(frames, q):
    out = []
    for f in frames:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
        out.append(cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
    return out


def gain(frames, g):
    return [np.clip(f.astype(np.float32) * g + 0.5, 0, 255).astype(np.uint8) for f in frames]


def contrast(frames, c):
    return [np.clip((f.astype(np.float32) - 128.0) * c + 128.0 + 0.5, 0, 255).astype(np.uint8) for f in frames]


ATTACKS = [
    ("none", lambda f: f),
    ("H.264 CRF 23", lambda f: ffmpeg_filter(f, crf=23)),
    ("H.264 CRF 28", lambda f: ffmpeg_filter(f, crf=28)),
    ("H.264 CRF 35", lambda f: ffmpeg_filter(f, crf=35)),
    ("downscale 256x256", lambda f: ffmpeg_filter(f, vf="scale=256:256")),
    ("360p letterbox (640x360)", lambda f: ffmpeg_filter(f, vf="scale=360:360,pad=640:360:140:0")),
    ("crop 10% each side + rescale", lambda f: ffmpeg_filter(f, vf="crop=410:410:51:51,scale=512:512")),
    ("JPEG q50 per frame", lambda f: jpeg(f, 50)),
    ("brightness +20%", lambda f: gain(f, 1.2)),
    ("brightness -20%", lambda f: gain(f, 0.8)),
    ("contrast +20%", lambda f: contrast(f, 1.2)),
    ("contrast -20%", lambda f: contrast(f, 0.8)),
    ("360p letterbox + CRF 28", lambda f: ffmpeg_filter(f, vf="scale=360:360,pad=640:360:140:0", crf=28)),
    ("downscale 256 + CRF 28", lambda f: ffmpeg_filter(f, vf="scale=256:256", crf=28)),
    ("horizontal flip (may fail)", lambda f: [np.ascontiguousarray(x[:, ::-1]) for x in f]),
]


def undo_geometry(frames, attack):
    """The peer's generous help: back to 512x512, letterbox removed."""
    out = []
    for f in frames:
        if "letterbox" in attack:
            f = f[:, 140:500]
        if f.shape[:2] != (SIZE, SIZE):
            f = cv2.resize(f, (SIZE, SIZE), interpolation=cv2.INTER_CUBIC)
        out.append(f)
    return out


# ---------------------------------------------------------------------------------------------
# Methods


class Ours:
    def __init__(self, bridge):
        self.bridge = bridge
        self.embed_ms = []
        self.detect_ms = []

    def embed(self, frames, cid, key="public"):
        raw = b"".join(f.tobytes() for f in frames)
        p = subprocess.run([self.bridge, "embed", str(SIZE), str(SIZE), key, cid], input=raw,
                           check=True, capture_output=True)
        ms = float(p.stderr.decode().split(",")[1].split()[0])
        self.embed_ms.append(ms)
        arr = np.frombuffer(p.stdout, np.uint8).reshape(len(frames), SIZE, SIZE, 3)
        return [f.copy() for f in arr]

    def roundtrip(self, frames, qp):
        """provatar's own H.264 encode and decode (the bridge's `ours` mode)."""
        raw = b"".join(f.tobytes() for f in frames)
        p = subprocess.run([self.bridge, "ours", str(SIZE), str(SIZE), str(qp)], input=raw,
                           check=True, capture_output=True)
        arr = np.frombuffer(p.stdout, np.uint8).reshape(len(frames), SIZE, SIZE, 3)
        return [f.copy() for f in arr]

    def detect(self, frames, key="public"):
        h, w = frames[0].shape[:2]
        raw = b"".join(np.ascontiguousarray(f).tobytes() for f in frames)
        p = subprocess.run([self.bridge, "detect", str(w), str(h), key], input=raw,
                           check=True, capture_output=True)
        rep = json.loads(p.stdout)
        if (w, h) == (SIZE, SIZE):
            self.detect_ms.append(rep["ms_per_frame"])
        return rep


class Peer:
    def __init__(self, make, name):
        self.make = make
        self.name = name
        self.embed_s = []
        self.detect_s = []

    def embed(self, frames, bits):
        enc = self.make(bits)
        out = []
        for f in frames:
            t = time.perf_counter()
            bgr = enc.encode(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            self.embed_s.append(time.perf_counter() - t)
            out.append(cv2.cvtColor(np.clip(bgr, 0, 255).astype(np.uint8), cv2.COLOR_BGR2RGB))
        return out

    def decode(self, frames, nbits):
        dec = self.make([0] * nbits)
        bits = []
        for f in frames:
            t = time.perf_counter()
            b = dec.decode(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            self.detect_s.append(time.perf_counter() - t)
            bits.append(np.array(b, dtype=np.float32)[:nbits])
        return np.array(bits)


# ---------------------------------------------------------------------------------------------
# Quality


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def ssim(a, b):
    """SSIM (Wang et al. 2004) on BT.601 luma, Gaussian window sigma 1.5."""
    def y(x):
        x = x.astype(np.float64)
        return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    x, z = y(a), y(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda v: cv2.GaussianBlur(v, (11, 11), 1.5)
    mx, mz = blur(x), blur(z)
    sxx = blur(x * x) - mx * mx
    szz = blur(z * z) - mz * mz
    sxz = blur(x * z) - mx * mz
    m = ((2 * mx * mz + c1) * (2 * sxz + c2)) / ((mx * mx + mz * mz + c1) * (sxx + szz + c2))
    return float(m.mean())


# ---------------------------------------------------------------------------------------------


def bits_of(cid_hex):
    v = int(cid_hex, 16)
    return [(v >> (63 - i)) & 1 for i in range(64)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bridge", required=True, help="path to the wm_raw example binary")
    ap.add_argument("--portraits", nargs="+", required=True)
    ap.add_argument("--frames", type=int, default=75)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--attacks", default="", help="comma-separated substrings to select attacks")
    ap.add_argument("--json", help="write all results here")
    ap.add_argument("--save", help="write sample frames (marked, difference x20) into this dir")
    ap.add_argument("--through-ours", type=int, metavar="QP",
                    help="send every marked clip (ours and the peer's) through provatar's own H.264 at "
                         "this quantiser before the attacks, as `provatar watermark embed` does (QP 18)")
    ap.add_argument("--clips", choices=["zoom", "avatar"], default="zoom",
                    help="zoom: each portrait zoomed and panned (the whole picture moves); avatar: "
                         "talking heads rendered by provatar from each portrait (still background)")
    ap.add_argument("--renderer", help="path to the render_raw example binary (for --clips avatar)")
    ap.add_argument("--cli", help="path to the provatar binary (for --clips avatar)")
    args = ap.parse_args()

    rng = random.Random(2026)
    ours = Ours(args.bridge)
    peers = [] if args.no_peer else [Peer(m, n) for n, m in load_peer().items()]
    if args.clips == "avatar":
        with tempfile.TemporaryDirectory() as tmp:
            clips = [(os.path.basename(p), avatar_clip(p, args.frames, i, args.renderer, args.cli, tmp))
                     for i, p in enumerate(args.portraits)]
    else:
        clips = [(os.path.basename(p), portrait_clip(p, args.frames, i)) for i, p in enumerate(args.portraits)]
    attacks = [a for a in ATTACKS if not args.attacks or any(s.strip() in a[0] for s in args.attacks.split(","))]

    results = {"attacks": {}, "quality": {}, "false_positives": [], "speed": {}}
    marked = []  # (clip name, cid, original, ours, {peer: frames})
    quality = {"provatar": [], **{p.name: [] for p in peers}}
    for name, frames in clips:
        cid = f"{rng.getrandbits(64):016x}"
        bits = bits_of(cid)
        ours_frames = ours.embed(frames, cid)
        peer_frames = {p.name: p.embed(frames, bits) for p in peers}
        for i in range(0, len(frames), max(1, len(frames) // 10)):
            quality["provatar"].append((psnr(frames[i], ours_frames[i]), ssim(frames[i], ours_frames[i])))
            for p in peers:
                quality[p.name].append((psnr(frames[i], peer_frames[p.name][i]), ssim(frames[i], peer_frames[p.name][i])))
        if args.save:
            os.makedirs(args.save, exist_ok=True)
            i = len(frames) // 2
            diff = np.clip(128 + 20 * (ours_frames[i].astype(np.int16) - frames[i].astype(np.int16)), 0, 255).astype(np.uint8)
            stem = os.path.splitext(name)[0]
            cv2.imwrite(os.path.join(args.save, f"{stem}-marked.png"), cv2.cvtColor(ours_frames[i], cv2.COLOR_RGB2BGR))
            cv2.imwrite(os.path.join(args.save, f"{stem}-diff-x20.png"), cv2.cvtColor(diff, cv2.COLOR_RGB2BGR))
        if args.through_ours is not None:
            ours_frames = ours.roundtrip(ours_frames, args.through_ours)
            peer_frames = {k: ours.roundtrip(v, args.through_ours) for k, v in peer_frames.items()}
        marked.append((name, cid, frames, ours_frames, peer_frames))

    for method, q in quality.items():
        ps = [a for a, _ in q]
        ss = [b for _, b in q]
        results["quality"][method] = {"psnr_mean": float(np.mean(ps)), "psnr_min": float(np.min(ps)),
                                      "ssim_mean": float(np.mean(ss)), "ssim_min": float(np.min(ss))}

    print(f"{'attack':32} | {'provatar bit acc':>16} {'video':>6} {'z min':>6} | " +
          " | ".join(f"{p.name + ' bit acc':>17} {'video':>6}" for p in peers), flush=True)
    for attack, fn in attacks:
        row = {"provatar": {"bit_acc": [], "ok": 0, "z": []}, **{p.name: {"bit_acc": [], "ok": 0} for p in peers}}
        for name, cid, _, ours_frames, peer_frames in marked:
            truth = int(cid, 16)
            rep = ours.detect(fn(ours_frames))
            accs = [(64 - bin(truth ^ int(f["content_id_bits"], 16)).count("1")) / 64 for f in rep["per_frame"]]
            row["provatar"]["bit_acc"].extend(accs)
            row["provatar"]["z"].append(rep["score"])
            row["provatar"]["ok"] += int(rep["detected"] and rep["content_id"] == cid)
            for p in peers:
                frames = undo_geometry(fn(peer_frames[p.name]), attack)
                dec = p.decode(frames, 64)
                truth_bits = np.array(bits_of(cid))
                per = ((dec > 0.5).astype(int) == truth_bits).mean(axis=1)
                row[p.name]["bit_acc"].extend(per.tolist())
                vote = (dec.mean(axis=0) > 0.5).astype(int)
                row[p.name]["ok"] += int((vote == truth_bits).all())
        n = len(marked)
        line = (f"{attack:32} | {np.mean(row['provatar']['bit_acc']):16.3f} {row['provatar']['ok']:>4}/{n} "
                f"{min(row['provatar']['z']):6.1f} | " +
                " | ".join(f"{np.mean(row[p.name]['bit_acc']):17.3f} {row[p.name]['ok']:>4}/{n}" for p in peers))
        print(line, flush=True)
        results["attacks"][attack] = {k: {kk: (float(np.mean(vv)) if kk == "bit_acc" else vv) for kk, vv in v.items()}
                                      for k, v in row.items()}

    print("\nimage quality (marked vs unmarked, 512x512 frames)")
    for method, q in results["quality"].items():
        print(f"  {method:10} PSNR mean {q['psnr_mean']:.2f} dB (min {q['psnr_min']:.2f})  "
              f"SSIM mean {q['ssim_mean']:.4f} (min {q['ssim_min']:.4f})")

    # False positives: unmarked footage and another key's mark.
    print("\nfalse positives (public key; every row must read 'not detected')")
    negatives = [(f"unmarked {name}", frames) for name, frames in clips]
    negatives += [("unmarked testsrc2", lavfi_clip(f"testsrc2=size={SIZE}x{SIZE}:rate={FPS}", args.frames)),
                  ("unmarked mandelbrot", lavfi_clip(f"mandelbrot=size={SIZE}x{SIZE}:rate={FPS}", args.frames)),
                  ("unmarked smptebars", lavfi_clip(f"smptehdbars=size={SIZE}x{SIZE}:rate={FPS}", args.frames)),
                  ("unmarked noise", noise_clip(args.frames, 7))]
    other_key = "".join(f"{rng.getrandbits(8):02x}" for _ in range(32))
    negatives.append(("marked with another key", ours.embed(clips[0][1], "00112233445566ff", key=other_key)))
    for name, frames in negatives:
        for attack, fn in (("plain", lambda f: f), ("CRF 28", lambda f: ffmpeg_filter(f, crf=28))):
            rep = ours.detect(fn(frames))
            status = "DETECTED (false positive!)" if rep["detected"] else "not detected"
            print(f"  {name:28} {attack:7} z {rep['score']:5.2f}  p {rep['p_value']:.2e}  {status}")
            results["false_positives"].append({"clip": name, "attack": attack, "score": rep["score"],
                                               "p_value": rep["p_value"], "detected": rep["detected"]})

    results["speed"] = {"provatar_embed_ms": float(np.mean(ours.embed_ms)),
                        "provatar_detect_ms": float(np.mean(ours.detect_ms)) if ours.detect_ms else None,
                        **{f"{p.name}_embed_ms": 1e3 * float(np.mean(p.embed_s)) for p in peers},
                        **{f"{p.name}_detect_ms": 1e3 * float(np.mean(p.detect_s)) for p in peers}}
    print("\nspeed per 512x512 frame (one core): " +
          ", ".join(f"{k} {v:.2f}" for k, v in results["speed"].items() if v is not None))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    fp = [r for r in results["false_positives"] if r["detected"]]
    return 1 if fp else 0


if __name__ == "__main__":
    sys.exit(main())
