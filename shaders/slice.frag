#version 330 core
in vec2 v_texcoord;

uniform sampler2D u_image;
uniform float u_min;
uniform float u_max;
// 0: grey; 1: the colour map in u_lut (256 × 1, entry i for value i / 255)
uniform int u_use_lut;
uniform sampler2D u_lut;

out vec4 frag_color;

void main ()
{
  float v = texture (u_image, v_texcoord).r;
  // NaN marks samples outside the volume
  if (isnan (v))
    discard;
  float g = clamp ((v - u_min) / max (u_max - u_min, 1e-20), 0.0, 1.0);
  if (u_use_lut != 0)
    frag_color = vec4 (texture (u_lut, vec2 ((g * 255.0 + 0.5) / 256.0, 0.5)).rgb, 1.0);
  else
    frag_color = vec4 (vec3 (g), 1.0);
}
