/** SHA-256 of the shader sources this was generated from. */
export declare const SHADER_SOURCE_HASH = "8e43ff584eb6e614861899d53679d1188342208d9af35878c18165b8707b9138";
/** WGSL source of each shader, by file name without extension. */
export declare const SHADERS: Readonly<Record<string, string>>;
