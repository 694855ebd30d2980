#version 330 core
// Sphere impostors: one quad per atom (instanced), placed on the near side
// of the sphere and just large enough to cover its silhouette; the fragment
// shader ray-casts the sphere.
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
  vec3 q;
  if (ortho)
    q = vec3 (c.xy + 1.02 * r * corner, c.z + r);
  else
    {
      // a square facing the camera at the front of the sphere, with the
      // circle where the tangent cone from the eye crosses it inscribed
      float d = length (c);
      vec3 w = -c / max (d, 1e-6);
      vec3 side = abs (w.y) < 0.99 ? vec3 (0.0, 1.0, 0.0) : vec3 (1.0, 0.0, 0.0);
      vec3 u = normalize (cross (side, w));
      vec3 v = cross (w, u);
      float s = d > r * 1.01 ? 1.02 * (d - r) * r / sqrt (d * d - r * r) : 0.0;
      q = c + w * r + s * (corner.x * u + corner.y * v);
    }
  v_pos = q;
  v_center = c;
  v_radius = r;
  v_color = a_color;
  gl_Position = u_proj * vec4 (q, 1.0);
}
