#version 330 core
uniform vec3 u_color;

out vec4 frag_color;

void main ()
{
  float r = length (gl_PointCoord - vec2 (0.5)) * 2.0;
  if (r > 1.0)
    discard;
  // a dark rim keeps the dots readable on bright and dark pixels alike
  vec3 c = r > 0.72 ? vec3 (0.05) : u_color;
  frag_color = vec4 (c, 1.0);
}
