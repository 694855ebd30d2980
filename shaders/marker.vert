#version 330 core
// 2D markers (round dots) for the atoms of a slice layer.
layout (location = 0) in vec3 a_position;

uniform mat4 u_view;
uniform mat4 u_proj;
uniform float u_point_size;

void main ()
{
  gl_Position = u_proj * u_view * vec4 (a_position, 1.0);
  // pulled slightly towards the viewer so that the dots sit on the slice
  gl_Position.z -= 2e-4 * gl_Position.w;
  gl_PointSize = u_point_size;
}
