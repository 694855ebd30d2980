#version 330 core
// The slice image as a quad in the volume frame.
layout (location = 0) in vec3 a_position;
layout (location = 1) in vec2 a_texcoord;

uniform mat4 u_view;
uniform mat4 u_proj;

out vec2 v_texcoord;

void main ()
{
  v_texcoord = a_texcoord;
  gl_Position = u_proj * u_view * vec4 (a_position, 1.0);
}
