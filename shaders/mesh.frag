#version 330 core
in vec3 v_normal;
in vec3 v_pos;
in vec3 v_color;

uniform mat4 u_proj;
uniform float u_alpha;

out vec4 frag_color;

void main ()
{
  vec3 n = normalize (v_normal);
  if (!gl_FrontFacing)
    n = -n;
  bool ortho = u_proj[2][3] == 0.0;
  vec3 view_dir = ortho ? vec3 (0.0, 0.0, 1.0) : normalize (-v_pos);
  vec3 l = normalize (vec3 (-0.4, 0.6, 1.0));
  float diffuse = abs (dot (n, l));
  vec3 h = normalize (l + view_dir);
  float specular = pow (max (dot (n, h), 0.0), 32.0);
  vec3 c = v_color * (0.3 + 0.7 * diffuse) + vec3 (0.2) * specular;
  frag_color = vec4 (c, u_alpha);
}
