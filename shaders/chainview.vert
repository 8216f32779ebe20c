#version 330 core
// Chain view: one quad covering the whole grid of cells, in content pixels (x right, y down).

layout(location = 0) in vec2 a_content;  // content pixel position of a quad corner

uniform vec2 u_scale;   // NDC units per content pixel (y negative: content y grows downwards)
uniform vec2 u_offset;  // NDC position of the content origin (zoom and pan)

out vec2 v_content;

void main()
{
    v_content = a_content;
    gl_Position = vec4(a_content * u_scale + u_offset, 0.0, 1.0);
}
