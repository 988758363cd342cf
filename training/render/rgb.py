# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Batched RGB renderer of one textured/coloured mesh: OpenGL through moderngl, headless.

CPU: EGL on Mesa llvmpipe (set ``LP_NUM_THREADS`` for its thread count); GPU: the same code
on an EGL device. A batch of B views renders into one tiled framebuffer (one viewport per
view) and is read back once. Per view: pose (R (3, 3) model -> camera, t (3,) m), intrinsics
K (3, 3) (OpenCV pixel convention), and a ``Lighting``. Outputs, all ``(B, H, W, ...)``:
``rgb`` uint8 (black background), ``mask`` bool, and on request ``depth`` float32 metres
(z in the camera frame, 0 = background).

Shading: texture x vertex colour x (ambient + diffuse * max(0, n . l)) + specular (Blinn),
light direction in the camera frame, tinted by ``light_color``.
"""

from dataclasses import dataclass

import numpy as np

NEAR_M, FAR_M = 0.05, 10.0

VERTEX_SHADER = '''
#version 330
uniform mat4 model_view;
uniform mat4 projection;
in vec3 in_position;
in vec3 in_normal;
in vec3 in_color;
in vec2 in_uv;
out vec3 v_normal;
out vec3 v_position;
out vec3 v_color;
out vec2 v_uv;
void main() {
    vec4 camera = model_view * vec4(in_position, 1.0);
    v_position = camera.xyz;
    v_normal = mat3(model_view) * in_normal;
    v_color = in_color;
    v_uv = in_uv;
    gl_Position = projection * camera;
}
'''

FRAGMENT_SHADER = '''
#version 330
uniform sampler2D tex;
uniform vec3 light_dir;
uniform vec3 light_color;
uniform float ambient;
uniform float diffuse;
uniform float specular;
uniform float shininess;
in vec3 v_normal;
in vec3 v_position;
in vec3 v_color;
in vec2 v_uv;
out vec4 f_color;
void main() {
    vec3 n = normalize(v_normal);
    vec3 view = normalize(-v_position);
    if (dot(n, view) < 0.0) n = -n;
    vec3 l = normalize(-light_dir);
    vec3 albedo = texture(tex, v_uv).rgb * v_color;
    float lambert = max(dot(n, l), 0.0);
    float highlight = pow(max(dot(n, normalize(l + view)), 0.0), shininess);
    vec3 shade = albedo * (ambient + diffuse * lambert) + specular * highlight;
    f_color = vec4(shade * light_color, 1.0);
}
'''


@dataclass(frozen=True)
class Lighting:
    """One view's light; directions in the camera frame (pointing from the light)."""

    direction: tuple = (0.0, 0.0, 1.0)   # light travels along +z: from behind the camera
    color: tuple = (1.0, 1.0, 1.0)       # RGB gain of the light
    ambient: float = 0.45
    diffuse: float = 0.6
    specular: float = 0.0
    shininess: float = 16.0


def projection_matrix(K, width, height, near=NEAR_M, far=FAR_M):
    """Return the OpenGL projection (row-major 4x4) equal to K for an image whose row 0 is the top.

    The framebuffer is read bottom-up and flipped, so v grows downwards as in OpenCV.
    """
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    skew = K[0, 1]
    return np.array([
        [2 * fx / width, 2 * skew / width, 2 * (cx + 0.5) / width - 1, 0],
        [0, -2 * fy / height, 1 - 2 * (cy + 0.5) / height, 0],
        [0, 0, (far + near) / (far - near), -2 * far * near / (far - near)],
        [0, 0, 1, 0]], np.float64)


def model_view_matrix(R, t):
    """Row-major 4x4 of the pose (model -> camera), metres."""
    matrix = np.eye(4)
    matrix[:3, :3], matrix[:3, 3] = R, t
    return matrix


def _gl(matrix):
    """Bytes of a row-major matrix in OpenGL's column-major layout."""
    return np.asarray(matrix, np.float32).T.copy().tobytes()


class MeshRenderer:
    """Holds a GL context and one mesh on the GPU/llvmpipe; renders batches of views."""

    def __init__(self, mesh, context=None, cull_back_faces=True):
        import moderngl
        self.cull = cull_back_faces  # for closed meshes with outward (CCW) windings
        self.ctx = context or moderngl.create_standalone_context(backend='egl')
        self.program = self.ctx.program(vertex_shader=VERTEX_SHADER,
                                        fragment_shader=FRAGMENT_SHADER)
        data = np.hstack([mesh.vertices, mesh.normals, mesh.colors, mesh.uv]).astype('f4')
        self.vbo = self.ctx.buffer(data.tobytes())
        self.ibo = self.ctx.buffer(np.ascontiguousarray(mesh.faces, 'i4').tobytes())
        # indexed: each shared vertex is shaded once (the vertex stage dominates small views)
        self.vao = self.ctx.vertex_array(self.program, [
            (self.vbo, '3f 3f 3f 2f', 'in_position', 'in_normal', 'in_color', 'in_uv')],
            index_buffer=self.ibo, index_element_size=4)
        texture = np.ascontiguousarray(mesh.texture[::-1])  # GL rows start at the bottom
        self.texture = self.ctx.texture(texture.shape[1::-1], 3, texture.tobytes())
        self.texture.build_mipmaps()
        self.framebuffers = {}

    def _framebuffer(self, width, height):
        if (width, height) not in self.framebuffers:
            self.framebuffers[(width, height)] = self.ctx.framebuffer(
                color_attachments=[self.ctx.texture((width, height), 4)],
                depth_attachment=self.ctx.depth_texture((width, height)))
        return self.framebuffers[(width, height)]

    def _set_view(self, R, t, K, width, height, light):
        uniforms = {'model_view': _gl(model_view_matrix(R, t)),
                    'projection': _gl(projection_matrix(K, width, height))}
        for name, value in uniforms.items():
            self.program[name].write(value)
        self.program['light_dir'].value = tuple(light.direction)
        self.program['light_color'].value = tuple(light.color)
        for name in ('ambient', 'diffuse', 'specular', 'shininess'):
            self.program[name].value = float(getattr(light, name))

    def render(self, R, t, K, width, height, lights=None, columns=8, depth=False):
        """Render B views: R ``(B, 3, 3)``, t ``(B, 3)`` m, K ``(3, 3)`` or ``(B, 3, 3)``.

        Returns dict(rgb ``(B, H, W, 3)`` uint8, mask ``(B, H, W)`` bool and, when ``depth``,
        depth ``(B, H, W)`` float32 metres).
        """
        count = len(R)
        K = np.broadcast_to(np.asarray(K, np.float64), (count, 3, 3))
        lights = lights or [Lighting()] * count
        columns = min(columns, count)
        rows = -(-count // columns)
        fbo = self._framebuffer(columns * width, rows * height)
        fbo.use()
        fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        self.ctx.enable_only(self.ctx.DEPTH_TEST | self.ctx.CULL_FACE if self.cull
                             else self.ctx.DEPTH_TEST)  # the context may be shared
        self.ctx.front_face = 'ccw'  # outward CCW windings stay CCW (v flips twice: readback)
        self.texture.use(0)
        for i in range(count):
            fbo.viewport = ((i % columns) * width, (i // columns) * height, width, height)
            self._set_view(R[i], t[i], K[i], width, height, lights[i])
            self.vao.render()
        color = _untile(np.frombuffer(fbo.read(components=4, dtype='f1'), np.uint8),
                        count, columns, width, height, 4)
        out = {'rgb': color[..., :3], 'mask': color[..., 3] > 0}
        if depth:
            buffer = np.frombuffer(fbo.read(components=1, attachment=-1, dtype='f4'), np.float32)
            z_ndc = _untile(buffer, count, columns, width, height, 1)[..., 0] * 2.0 - 1.0
            z = 2 * FAR_M * NEAR_M / ((FAR_M + NEAR_M) - z_ndc * (FAR_M - NEAR_M))
            out['depth'] = np.where(out['mask'], z, 0.0).astype(np.float32)
        return out


def _untile(buffer, count, columns, width, height, channels):
    """Tiled framebuffer (bottom-up rows) -> ``(count, H, W, channels)`` top-down views."""
    rows = -(-count // columns)
    tiles = buffer.reshape(rows, height, columns, width, channels).transpose(0, 2, 1, 3, 4)
    return tiles.reshape(rows * columns, height, width, channels)[:count, ::-1]
