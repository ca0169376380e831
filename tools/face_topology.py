#!/usr/bin/env python3
"""Face-mesh topology, named regions and the canonical 3D face for crates/provatar-face.

Run by hand; the generated `crates/provatar-face/src/topology_data.rs` is committed:

    /tmp/mpv/bin/pip install scipy
    /tmp/mpv/bin/python tools/face_topology.py assets/models/face_mesh_connections.py \
        assets/models/canonical_face_model.obj \
        crates/provatar-face/tests/fixtures/mediapipe_pipeline.json crates/provatar-face/src/topology_data.rs

Triangles: FACEMESH_TESSELATION in face_mesh_connections.py is written as consecutive edge
triples (a,b),(b,c),(c,a); read in file order they give the 852 triangles of the mesh with their
winding (the eyes and the mouth are holes). Regions come from the other FACEMESH_* edge sets,
walked into ordered loops and paths.

Canonical face: MediaPipe's canonical_face_model.obj (as shipped in ../shared/data) has 468
vertices, but NOT in face-mesh order (its exporter renumbered them by first use in its face list:
only 71 of the 1322 mesh edges join the same numbers in the OBJ), and it is rotated off its
symmetry plane. So this script recovers the correspondence: it aligns the OBJ's UV layout, then
its 3D vertices, to MediaPipe's own 468 landmarks of the astronaut portrait (assignment by the
Hungarian method, iterated with the mesh edges as a second cue), and keeps only vertices whose
every mesh neighbour maps to an OBJ neighbour of their image — a match that cannot be a
neighbour swap. Those points, re-expressed in the frame of MediaPipe's frontal UV layout (x to the
subject's left = image right, y up, z toward the viewer, centimetres, origin at their centroid),
are what the head-pose fit uses: a face whose landmarks match them has yaw = pitch = roll = 0.
"""

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment


def load_connections(path):
    spec = importlib.util.spec_from_file_location("connections", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = Path(path).read_text()
    body = text[text.index("FACEMESH_TESSELATION"):]
    body = body[: body.index("])")]
    edges = [(int(a), int(b)) for a, b in re.findall(r"\((\d+),\s*(\d+)\)", body)]
    triangles = []
    for i in range(0, len(edges), 3):
        (a, b), (b2, c), (c2, a2) = edges[i : i + 3]
        assert b == b2 and c == c2 and a == a2, f"edge triple {i} is not a triangle"
        triangles.append([a, b, c])
    return module, triangles


def loops(edge_set):
    """Connected components of an edge set, each walked in order (a cycle or a path)."""
    adj = {}
    for a, b in edge_set:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    seen, out = set(), []
    for start in sorted(adj):
        if start in seen:
            continue
        ends = [v for v in adj if len(adj[v]) == 1]
        comp = {start}
        stack = [start]
        while stack:
            v = stack.pop()
            for w in adj[v]:
                if w not in comp:
                    comp.add(w)
                    stack.append(w)
        comp_ends = sorted(v for v in ends if v in comp)
        first = comp_ends[0] if comp_ends else min(comp)
        order, prev = [first], None
        while True:
            nxt = [w for w in adj[order[-1]] if w != prev and w not in order]
            if not nxt:
                break
            prev = order[-1]
            order.append(min(nxt))
        assert len(order) == len(comp), "region is not a simple path or cycle"
        seen |= comp
        out.append(order)
    return out


def load_obj(path):
    v, vt, f = [], [], []
    for line in Path(path).read_text().splitlines():
        p = line.split()
        if not p:
            continue
        if p[0] == "v":
            v.append([float(x) for x in p[1:4]])
        elif p[0] == "vt":
            vt.append([float(x) for x in p[1:3]])
        elif p[0] == "f":
            f.append([int(x.split("/")[0]) - 1 for x in p[1:4]])
    return np.array(v), np.array(vt), f


def similarity(src, dst):
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, s, vt = np.linalg.svd(b.T @ a)
    d = np.diag([1.0] * (a.shape[1] - 1) + [np.sign(np.linalg.det(u @ vt))])
    r = u @ d @ vt
    scale = (s * np.diag(d)).sum() / (a**2).sum()
    return lambda p: scale * (r @ (p - ms).T).T + md


def correspondence(mesh_edges, obj_vertices, obj_uv, obj_faces, observed):
    n = len(observed)
    obj_adj = np.zeros((n, n))
    for f in obj_faces:
        for k in range(3):
            obj_adj[f[k], f[(k + 1) % 3]] = obj_adj[f[(k + 1) % 3], f[k]] = 1
    mesh_nb = [set() for _ in range(n)]
    for a, b in mesh_edges:
        mesh_nb[a].add(b)
        mesh_nb[b].add(a)

    def norm(p):
        p = p - p.mean(0)
        return p / np.sqrt((p**2).sum(1).mean())

    # 1. The UV layout is a frontal view: match it to the landmarks' image positions.
    a = norm(observed[:, :2])
    b = norm(np.c_[obj_uv[:, 0], 1 - obj_uv[:, 1]])
    for _ in range(10):
        _, perm = linear_sum_assignment(((a[:, None] - b[None]) ** 2).sum(-1))
        b = similarity(b[perm], a)(b)
    # 2. 3D, with agreement of mesh neighbours as a second cue.
    obs3 = observed * np.array([1, -1, -1.0])
    for _ in range(20):
        placed = similarity(obj_vertices[perm], obs3)(obj_vertices)
        dist = np.sqrt(((obs3[:, None] - placed[None]) ** 2).sum(-1))
        agree = np.stack([obj_adj[:, [perm[k] for k in mesh_nb[i]]].sum(1) for i in range(n)])
        _, new = linear_sum_assignment(dist / 5.0 - agree)
        if (new == perm).all():
            break
        perm = new
    agreement = np.array([np.mean([obj_adj[perm[i], perm[k]] for k in mesh_nb[i]]) for i in range(n)])
    return perm, agreement


def main():
    connections_path, obj_path, reference_path, out_path = sys.argv[1:5]
    c, triangles = load_connections(connections_path)
    regions = {}
    lips = sorted(loops(c.FACEMESH_LIPS), key=lambda l: 61 not in l)  # outer loop holds corner 61
    regions["lips_outer"], regions["lips_inner"] = lips
    for side, eye, brow, iris in [("right", c.FACEMESH_RIGHT_EYE, c.FACEMESH_RIGHT_EYEBROW, c.FACEMESH_RIGHT_IRIS),
                                  ("left", c.FACEMESH_LEFT_EYE, c.FACEMESH_LEFT_EYEBROW, c.FACEMESH_LEFT_IRIS)]:
        (regions[f"{side}_eye"],) = [l for l in loops(eye)]
        regions[f"{side}_brow"] = [v for l in loops(brow) for v in l]
        (ring,) = loops(iris)
        regions[f"{side}_iris"] = [min(ring) - 1] + ring  # centre first, then the ring
    (oval,) = loops(c.FACEMESH_FACE_OVAL)
    regions["face_oval"] = oval
    # Jaw line: the part of the oval between the cheek points 234 and 454 that holds the chin 152.
    i, j = sorted((oval.index(234), oval.index(454)))
    inner, outer = oval[i : j + 1], oval[j:] + oval[: i + 1]
    regions["jaw_line"] = inner if 152 in inner else outer

    vertices, uv, faces = load_obj(obj_path)
    observed = np.array(json.loads(Path(reference_path).read_text())["images"]["portrait-astronaut.png"]["meshes"][0])
    mesh_edges = {tuple(sorted(e)) for e in c.FACEMESH_TESSELATION}
    perm, agreement = correspondence(mesh_edges, vertices, uv, faces, observed)
    confident = [int(i) for i in np.where(agreement >= 0.999)[0]]
    pts = vertices[perm]
    # MediaPipe's UV layout is a frontal orthographic view of the canonical face (an affine
    # fit from the 3D vertices to the UVs leaves ~1% error and orthogonal axes), so its
    # axes are the frame in which the canonical face looks straight at the viewer.
    affine, *_ = np.linalg.lstsq(np.c_[vertices, np.ones(len(vertices))], uv, rcond=None)
    x, y = affine[:3, 0], affine[:3, 1]
    x = x / np.linalg.norm(x) * np.sign(x @ (pts[263] - pts[33]))
    y = y - x * (x @ y)
    y = y / np.linalg.norm(y) * np.sign(y @ (pts[10] - pts[152]))
    z = np.cross(x, y)
    frame = np.stack([x, y, z])
    local = (pts[confident] - pts[confident].mean(0)) @ frame.T
    assert local[confident.index(1), 2] > 0, "the nose tip must point to the viewer"
    sources = "\n".join(
        f"//   {Path(p).name}: sha256 {hashlib.sha256(Path(p).read_bytes()).hexdigest()}"
        for p in (connections_path, obj_path, reference_path)
    )
    rust = [
        "// @generated by tools/face_topology.py — do not edit by hand. Derived from MediaPipe",
        "// (Apache-2.0, see assets/models/NOTICE):",
        sources,
        "",
        "/// The face mesh's triangles, in MediaPipe's winding (eyes and mouth are holes).",
        f"pub(crate) const TRIANGLES: [[u16; 3]; {len(triangles)}] = [",
        *(f"    [{a}, {b}, {c}]," for a, b, c in triangles),
        "];",
        "",
    ]
    for name, idx in regions.items():
        rust.append(f"pub(crate) const {name.upper()}: [u16; {len(idx)}] = {idx};")
    rust += [
        "",
        "/// Mesh indices of the canonical-face points used by the head-pose fit.",
        f"pub(crate) const CANONICAL_INDICES: [u16; {len(confident)}] = {confident};",
        "",
        "/// Their canonical positions (cm; x to the subject's left, y up, z toward the viewer).",
        f"pub(crate) const CANONICAL_POINTS: [[f32; 3]; {len(confident)}] = [",
        *(f"    [{p[0]:.5f}, {p[1]:.5f}, {p[2]:.5f}]," for p in local),
        "];",
    ]
    Path(out_path).write_text("\n".join(rust) + "\n")
    print(len(triangles), "triangles;", {k: len(v) for k, v in regions.items()}, ";", len(confident),
          "canonical points", file=sys.stderr)


if __name__ == "__main__":
    main()
