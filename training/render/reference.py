# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Reference depth renderers of capsule hands for the renderer benchmark.

Same scene as ``training.render.depth.render_depth``: capsules ``(P, 2, 3)`` mm in the
camera optical frame with radii ``(P,)`` mm, pinhole K, depth = z in mm (0 = background).
- ``GLCapsules``: moderngl/EGL (llvmpipe on CPU), one instanced draw per hand; each instance
  places a tessellated unit capsule (two hemispheres + the band between them) on its segment;
  batches of hands go to tiles of one framebuffer, read back once (its fastest use).
- ``BulletCapsules``: pybullet's TinyRenderer, one GEOM_CAPSULE visual body per capsule, moved
  with ``resetBasePositionAndOrientation``; its sizes are fixed at creation, so all hands of a
  run must share one hand shape (the benchmark does that).
Both are tessellated, so they agree with the exact ray caster to within the facets.
"""

import numpy as np

from training.render.rgb import FAR_M, NEAR_M, projection_matrix

GL_VERTEX = '''
#version 330
uniform mat4 projection;
in vec3 in_dir;      // unit offset from the segment end
in float in_end;     // 0: end a, 1: end b
in vec3 in_a;        // per instance, metres
in vec3 in_b;
in float in_r;
void main() {
    vec3 axis = in_b - in_a;
    float len = length(axis);
    vec3 w = len > 1e-9 ? axis / len : vec3(0.0, 0.0, 1.0);
    vec3 u = normalize(abs(w.x) < 0.9 ? cross(w, vec3(1.0, 0.0, 0.0))
                                      : cross(w, vec3(0.0, 1.0, 0.0)));
    vec3 v = cross(w, u);
    vec3 centre = in_end > 0.5 ? in_b : in_a;
    vec3 p = centre + in_r * (in_dir.x * u + in_dir.y * v + in_dir.z * w);
    gl_Position = projection * vec4(p, 1.0);
}
'''
FRONT_FACE = 'ccw'  # unit_capsule's windings, seen from outside (the tests check it)
GL_FRAGMENT = '''
#version 330
out vec4 f_color;
void main() { f_color = vec4(1.0); }
'''


def unit_capsule(rings=8, segments=16):
    """Template vertices (direction (3,), end flag) and triangles of a capsule, axis +z."""
    vertices = []
    for end, lats in ((0.0, np.linspace(-np.pi / 2, 0.0, rings + 1)),
                      (1.0, np.linspace(0.0, np.pi / 2, rings + 1))):
        for lat in lats:
            for k in range(segments):
                lon = 2 * np.pi * k / segments
                vertices.append((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                 np.sin(lat), end))
    rows = 2 * (rings + 1)
    triangles = []
    for i in range(rows - 1):
        for k in range(segments):
            a, b = i * segments + k, i * segments + (k + 1) % segments
            triangles += [(a, b, a + segments), (b, b + segments, a + segments)]
    return np.array(vertices, 'f4'), np.array(triangles, 'i4')


class GLCapsules:
    """Instanced capsule depth renderer on a moderngl EGL context."""

    def __init__(self, width, height, context=None):
        import moderngl
        self.ctx = context or moderngl.create_standalone_context(backend='egl')
        self.program = self.ctx.program(vertex_shader=GL_VERTEX, fragment_shader=GL_FRAGMENT)
        vertices, triangles = unit_capsule()
        self.template = self.ctx.buffer(vertices.tobytes())
        self.index = self.ctx.buffer(triangles.tobytes())
        self.instances = self.ctx.buffer(reserve=64 * 7 * 4, dynamic=True)
        self.vao = self.ctx.vertex_array(self.program, [
            (self.template, '3f 1f', 'in_dir', 'in_end'),
            (self.instances, '3f 3f 1f/i', 'in_a', 'in_b', 'in_r')],
            index_buffer=self.index, index_element_size=4)
        self.framebuffers = {}
        self.size = (width, height)

    def render(self, ends_mm, radii_mm, K):
        """Depth ``(H, W)`` float32 mm of one hand (0 = background)."""
        return self.render_batch(ends_mm[None], radii_mm[None], K[None])[0]

    def render_batch(self, ends_mm, radii_mm, K, columns=8):
        """Depth ``(B, H, W)`` mm of B hands: one tiled framebuffer, one readback."""
        width, height = self.size
        count = len(ends_mm)
        columns = min(columns, count)
        rows = -(-count // columns)
        if (rows, columns) not in self.framebuffers:
            self.framebuffers[(rows, columns)] = self.ctx.framebuffer(
                depth_attachment=self.ctx.depth_texture((columns * width, rows * height)))
        fbo = self.framebuffers[(rows, columns)]
        fbo.use()
        fbo.clear(depth=1.0)
        self.ctx.enable_only(self.ctx.DEPTH_TEST | self.ctx.CULL_FACE)  # closed capsules
        self.ctx.front_face = FRONT_FACE
        for i in range(count):
            data = np.hstack([ends_mm[i].reshape(-1, 6), radii_mm[i][:, None]]) / 1000.0
            self.instances.orphan(data.nbytes)
            self.instances.write(data.astype('f4').tobytes())
            self.program['projection'].write(
                np.asarray(projection_matrix(K[i], width, height), 'f4').T.copy().tobytes())
            fbo.viewport = ((i % columns) * width, (i // columns) * height, width, height)
            self.vao.render(instances=len(radii_mm[i]))
        depth = np.frombuffer(fbo.read(components=1, attachment=-1, dtype='f4'), np.float32)
        tiles = depth.reshape(rows, height, columns, width).transpose(0, 2, 1, 3)
        depth = tiles.reshape(rows * columns, height, width)[:count, ::-1]
        z_ndc = depth * 2.0 - 1.0
        z = 2 * FAR_M * NEAR_M / ((FAR_M + NEAR_M) - z_ndc * (FAR_M - NEAR_M)) * 1000.0
        return np.where(depth < 1.0, z, 0.0).astype(np.float32)


class BulletCapsules:
    """pybullet TinyRenderer with one capsule body per capsule of a fixed hand shape."""

    def __init__(self, lengths_mm, radii_mm, width, height):
        import pybullet
        self.p = pybullet
        self.client = pybullet.connect(pybullet.DIRECT)
        self.bodies = []
        for length, radius in zip(lengths_mm, radii_mm):
            shape = pybullet.createVisualShape(pybullet.GEOM_CAPSULE, radius=radius / 1000.0,
                                               length=length / 1000.0,
                                               physicsClientId=self.client)
            self.bodies.append(pybullet.createMultiBody(baseVisualShapeIndex=shape,
                                                        physicsClientId=self.client))
        self.size = (width, height)

    def render(self, ends_mm, K):
        """Depth ``(H, W)`` float32 mm of one hand (the shape given at construction)."""
        from scipy.spatial.transform import Rotation
        width, height = self.size
        for body, (a, b) in zip(self.bodies, ends_mm / 1000.0):
            axis = b - a
            rotation, _ = Rotation.align_vectors([axis], [[0.0, 0.0, 1.0]])
            self.p.resetBasePositionAndOrientation(body, ((a + b) / 2).tolist(),
                                                   rotation.as_quat().tolist(),
                                                   physicsClientId=self.client)
        view = np.diag([1.0, -1.0, -1.0, 1.0])  # optical frame -> OpenGL camera
        projection = projection_matrix(K, width, height) @ view
        _, _, _, depth, segmentation = self.p.getCameraImage(
            width, height, viewMatrix=view.T.ravel().tolist(),
            projectionMatrix=projection.T.ravel().tolist(),
            renderer=self.p.ER_TINY_RENDERER, physicsClientId=self.client)
        depth = np.reshape(depth, (height, width))
        z = 2 * FAR_M * NEAR_M / ((FAR_M + NEAR_M) - (2 * depth - 1) * (FAR_M - NEAR_M))
        hit = np.reshape(segmentation, (height, width)) >= 0
        return np.where(hit, z * 1000.0, 0.0).astype(np.float32)
