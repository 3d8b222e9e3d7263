/** SHA-256 of the shader sources this was generated from. */
export declare const SHADER_SOURCE_HASH = "8a8a3e06d49ffd2df5806d58b5fb733933115ba555444d2593727a036102ec8c";
/** WGSL source of each shader, by file name without extension. */
export declare const SHADERS: Readonly<Record<string, string>>;
