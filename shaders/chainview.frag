#version 330 core
// Chain view: finds the cell under the fragment, reads the cell's grey value from the atlas
// (one R8 texture, tiles laid out like the grid) and maps it through a 256-entry colour table.

in vec2 v_content;  // content pixel position (x right, y down)

uniform sampler2D u_atlas;     // R8 atlas, tile (column, row) at texel (column * w, row * h)
uniform sampler2D u_colormap;  // 256 x 1 RGBA colour table, nearest filtering
uniform vec2 u_cellSize;       // (w, h) of one image in pixels
uniform float u_padding;       // gap between cells, in image pixels
uniform ivec2 u_grid;          // (columns, rows) of the grid
uniform int u_cellCount;       // cells in use (the last row may be partial)
uniform vec2 u_atlasSize;      // atlas size in texels
uniform vec3 u_background;     // colour of the gaps

out vec4 fragColor;

void main()
{
    vec2 stride = u_cellSize + vec2(u_padding);
    vec2 cell = floor(v_content / stride);
    vec2 local = v_content - cell * stride;
    int index = int(cell.y) * u_grid.x + int(cell.x);
    if (cell.x < 0.0 || cell.y < 0.0 || int(cell.x) >= u_grid.x || int(cell.y) >= u_grid.y
        || index >= u_cellCount || local.x >= u_cellSize.x || local.y >= u_cellSize.y) {
        fragColor = vec4(u_background, 1.0);
        return;
    }
    // Clamping to texel centres inside the tile keeps smooth filtering from bleeding into neighbours.
    vec2 texel = cell * u_cellSize + clamp(local, vec2(0.5), u_cellSize - vec2(0.5));
    float value = texture(u_atlas, texel / u_atlasSize).r;
    // The R8 value is level / 255; pick table entry `level` exactly.
    vec3 rgb = texture(u_colormap, vec2((value * 255.0 + 0.5) / 256.0, 0.5)).rgb;
    fragColor = vec4(rgb, 1.0);
}
