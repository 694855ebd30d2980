#version 330 core
// Sphere impostors: one screen-aligned quad per atom (instanced), placed on
// the near side of the sphere and large enough to cover its silhouette; the
// fragment shader ray-casts the sphere.
layout (location = 0) in vec3 a_center;
layout (location = 1) in float a_radius;
layout (location = 2) in vec3 a_color;

uniform mat4 u_view;
uniform mat4 u_proj;
uniform float u_radius_scale;

out vec3 v_pos;
flat out vec3 v_center;
flat out float v_radius;
flat out vec3 v_color;

void main ()
{
  vec2 corner = vec2 ((gl_VertexID & 1) == 0 ? -1.0 : 1.0,
                      (gl_VertexID & 2) == 0 ? -1.0 : 1.0);
  float r = a_radius * u_radius_scale;
  vec3 c = (u_view * vec4 (a_center, 1.0)).xyz;
  bool ortho = u_proj[2][3] == 0.0;
  float s = r * 1.02;
  if (!ortho)
    {
      float d = length (c);
      s = d > r * 1.01 ? 1.3 * r * d / sqrt (d * d - r * r) : 0.0;
    }
  vec3 q = vec3 (c.xy + s * corner, c.z + r);
  v_pos = q;
  v_center = c;
  v_radius = r;
  v_color = a_color;
  gl_Position = u_proj * vec4 (q, 1.0);
}
