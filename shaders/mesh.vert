#version 330 core
layout (location = 0) in vec3 a_position;
layout (location = 1) in vec3 a_normal;
layout (location = 2) in vec3 a_color;

uniform mat4 u_view;
uniform mat4 u_proj;
uniform int u_use_vertex_colors;
uniform vec3 u_color;

out vec3 v_normal;
out vec3 v_pos;
out vec3 v_color;

void main ()
{
  vec4 p = u_view * vec4 (a_position, 1.0);
  v_pos = p.xyz;
  v_normal = mat3 (u_view) * a_normal;
  v_color = u_use_vertex_colors != 0 ? a_color : u_color;
  gl_Position = u_proj * p;
}
