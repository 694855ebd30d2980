#version 330 core
in vec3 v_pos;
flat in vec3 v_center;
flat in float v_radius;
flat in vec3 v_color;

uniform mat4 u_proj;

out vec4 frag_color;

vec3 shade (vec3 base, vec3 n, vec3 view_dir)
{
  vec3 l = normalize (vec3 (-0.4, 0.6, 1.0));
  float diffuse = max (dot (n, l), 0.0);
  vec3 h = normalize (l + view_dir);
  float specular = pow (max (dot (n, h), 0.0), 48.0);
  return base * (0.28 + 0.72 * diffuse) + vec3 (0.3) * specular;
}

void main ()
{
  bool ortho = u_proj[2][3] == 0.0;
  // start the ray at the quad (just in front of the sphere) for precision
  vec3 ro = v_pos;
  vec3 rd = ortho ? vec3 (0.0, 0.0, -1.0) : normalize (v_pos);
  vec3 oc = ro - v_center;
  float b = dot (oc, rd);
  float c = dot (oc, oc) - v_radius * v_radius;
  float h = b * b - c;
  if (h < 0.0)
    discard;
  float t = -b - sqrt (h);
  vec3 p = ro + t * rd;
  vec3 n = (p - v_center) / v_radius;
  vec4 clip = u_proj * vec4 (p, 1.0);
  float ndc_z = clip.z / clip.w;
  gl_FragDepth = 0.5 * (gl_DepthRange.diff * ndc_z + gl_DepthRange.near + gl_DepthRange.far);
  frag_color = vec4 (shade (v_color, n, -rd), 1.0);
}
