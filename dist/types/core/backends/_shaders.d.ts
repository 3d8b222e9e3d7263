/** SHA-256 of the shader sources this was generated from. */
export declare const SHADER_SOURCE_HASH = "f5655192b5bde5603d93ad60053a5cbc33e3d962d01006226632ae4326cfef51";
/** WGSL source of each shader, by file name without extension. */
export declare const SHADERS: Readonly<Record<string, string>>;
