#version 330 core
in vec2 v_texcoord;

uniform sampler2D u_image;
uniform float u_min;
uniform float u_max;

out vec4 frag_color;

void main ()
{
  float v = texture (u_image, v_texcoord).r;
  // NaN marks samples outside the volume
  if (isnan (v))
    discard;
  float g = clamp ((v - u_min) / max (u_max - u_min, 1e-20), 0.0, 1.0);
  frag_color = vec4 (vec3 (g), 1.0);
}
